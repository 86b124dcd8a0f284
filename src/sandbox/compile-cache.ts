import { lstatSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let cached: string | null | undefined;

/** Node 22.1 brought NODE_COMPILE_CACHE; older lines ignore the variable, so it is not set for them. */
function nodeHasCompileCache(): boolean {
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
  return major > 22 || (major === 22 && minor >= 1);
}

/**
 * The directory for the children's V8 compile cache (NODE_COMPILE_CACHE): os.tmpdir()/
 * reexecer-<uid>, made 0700 by this user. A directory that is not ours alone (another
 * user's, a symlink, group- or world-writable) is not used: whoever can write it could
 * feed code to every child. Null where Node has no compile cache or the dir is unusable;
 * the cache only saves start-up time, so that costs nothing else.
 */
export function compileCacheDir(): string | null {
  if (cached !== undefined) return cached;
  cached = null;
  if (!nodeHasCompileCache()) return cached;
  const dir = join(tmpdir(), `reexecer-${process.geteuid!()}`);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return cached;
  }
  try {
    const stat = lstatSync(dir);
    if (stat.isDirectory() && stat.uid === process.geteuid!() && (stat.mode & 0o077) === 0) cached = dir;
  } catch {
    // vanished meanwhile: no cache
  }
  return cached;
}
