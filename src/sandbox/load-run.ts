import { ReexecError } from '../errors.js';
import type * as Run from './run.js';

// Spelled from the parent folder so that the same URL resolves from dist/bundles/, where the
// entries are bundled; computed, so the bundler leaves the import to run time.
const RUN_URL = new URL('../sandbox/run.js', import.meta.url).href;

let loading: Promise<typeof Run> | undefined;
let failures = 0;

/**
 * run.js, imported on first use: the child imports this package only to register, and
 * every child start pays for what it imports. The ESM loader caches a failed import for
 * good (one EMFILE would break every later call), so after a failure the next call imports
 * the module again under a new URL.
 */
export function loadRun(): Promise<typeof Run> {
  loading ??= (import(failures === 0 ? RUN_URL : `${RUN_URL}?retry=${failures}`) as Promise<typeof Run>).catch((error: unknown) => {
    loading = undefined;
    failures++;
    const code = (error as NodeJS.ErrnoException)?.code;
    throw new ReexecError('spawn', `loading reexecer's runner (${RUN_URL}) failed: ${(error as Error)?.message ?? error}; the next call tries again`, { cause: error, code });
  });
  return loading;
}
