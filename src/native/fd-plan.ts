import { closeSync, openSync } from 'node:fs';

import { addon } from './addon.js';
import type { ExtraFdOption, StdioOption } from './spawn-options.js';

/** Fds the parent creates for the child: the child's ends, closed here once it is spawned. */
export class FdPlan {
  readonly childFds: number[] = [];
  readonly parentEnds: (number | null)[] = [];
  /** The child's ends: [fd, made by the addon]. */
  private readonly owned: [number, boolean][] = [];

  stdio(option: StdioOption, index: number): void {
    if (option === 'pipe') {
      const [r, w] = addon.pipe();
      this.add(index === 0 ? r : w, index === 0 ? w : r, true);
    } else if (option === 'ignore') {
      this.add(openSync('/dev/null', index === 0 ? 'r' : 'w'), null, false);
    } else {
      this.childFds.push(option === 'inherit' ? index : option);
      this.parentEnds.push(null);
    }
  }

  extra(option: ExtraFdOption): void {
    if (option === 'pipe') {
      const [mine, theirs] = addon.socketpair();
      this.add(theirs, mine, true);
    } else {
      this.childFds.push(option);
      this.parentEnds.push(null);
    }
  }

  private add(childEnd: number, parentEnd: number | null, native: boolean): void {
    this.owned.push([childEnd, native]);
    this.childFds.push(childEnd);
    this.parentEnds.push(parentEnd);
  }

  closeChildEnds(): void {
    for (const [fd, native] of this.owned.splice(0)) (native ? addon.close : closeSync)(fd);
  }

  closeAll(): void {
    this.closeChildEnds();
    for (const fd of this.parentEnds) if (fd !== null) addon.close(fd);
  }
}

