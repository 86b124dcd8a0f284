import { closeSync, openSync } from 'node:fs';

import { addon } from './addon.js';
import type { ExtraFdOption, StdioOption } from './spawn-options.js';

/** Fds the parent creates for the child: the child's ends, closed here once it is spawned. */
export class FdPlan {
  readonly childFds: number[] = [];
  readonly parentEnds: (number | null)[] = [];
  private readonly owned: number[] = [];

  stdio(option: StdioOption, index: number): void {
    if (option === 'pipe') {
      const [r, w] = addon.pipe();
      this.add(index === 0 ? r : w, index === 0 ? w : r);
    } else if (option === 'ignore') {
      this.add(openSync('/dev/null', index === 0 ? 'r' : 'w'), null);
    } else {
      this.childFds.push(option === 'inherit' ? index : option);
      this.parentEnds.push(null);
    }
  }

  extra(option: ExtraFdOption): void {
    if (option === 'pipe') {
      const [mine, theirs] = addon.socketpair();
      this.add(theirs, mine);
    } else {
      this.childFds.push(option);
      this.parentEnds.push(null);
    }
  }

  private add(childEnd: number, parentEnd: number | null): void {
    this.owned.push(childEnd);
    this.childFds.push(childEnd);
    this.parentEnds.push(parentEnd);
  }

  closeChildEnds(): void {
    for (const fd of this.owned.splice(0)) closeSync(fd);
  }

  closeAll(): void {
    this.closeChildEnds();
    for (const fd of this.parentEnds) if (fd !== null) closeSync(fd);
  }
}

