import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

import { ReexecError } from '../errors.js';

/**
 * The path execve gets. The child may not search PATH itself (that allocates), so a bare
 * name is looked up here; one that is not found is ENOENT, as child_process has it: passed
 * on as is, execve would run `./name` from the cwd.
 */
export function resolveExecutable(file: string, path: string | undefined, cwd: string | undefined): string {
  if (file.includes('/')) return isAbsolute(file) ? file : resolve(cwd ?? process.cwd(), file);
  for (const dir of (path ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, file);
    try {
      if (statSync(candidate).isFile()) {
        accessSync(candidate, constants.X_OK);
        return candidate;
      }
    } catch {
      // not here
    }
  }
  throw new ReexecError('spawn', 'execve failed: ENOENT', { step: 'execve', code: 'ENOENT' });
}
