import { lchownSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { ARGS, inject, LOGGER, Sandboxed, type Logger, type SandboxedPlugin } from 'reexecer';

function parseId(text: string | undefined, what: string): number {
  if (text === undefined || !/^\d+$/.test(text)) throw new Error(`chown-tree: give the ${what} inside the namespace as a number (args: UID GID)`);
  return Number(text);
}

/**
 * Chowns the whole chroot dir to an id inside the user namespace, without following
 * symlinks: what GrootFS does to its base directory when it runs rootless, so that mapped
 * root owns the store.
 */
@Sandboxed({ id: 'chown-tree', chroot: true, userns: true })
export class ChownTree implements SandboxedPlugin {
  constructor(
    @inject(LOGGER) private readonly log: Logger,
    @inject(ARGS) private readonly args: readonly string[],
  ) {}

  run(): { changed: number } {
    const uid = parseId(this.args[0], 'uid');
    const gid = parseId(this.args[1], 'gid');
    let changed = 0;
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        lchownSync(path, uid, gid);
        changed++;
        if (entry.isDirectory()) walk(path);
      }
    };
    lchownSync('/', uid, gid);
    walk('/');
    this.log.info({ uid, gid, changed: changed + 1 }, 'tree chowned');
    return { changed: changed + 1 };
  }
}
