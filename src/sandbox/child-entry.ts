import { fileURLToPath } from 'node:url';

import { compileCacheDir } from './compile-cache.js';

export { inheritedExecArgv as childExecArgv } from '../reexec/exec-argv.js';

/**
 * The runtime the child execs: src/child/main.ts bundled with pino into one file, because
 * every child start pays for its imports (pino alone: 26 ms as files, 8 ms bundled).
 */
export const CHILD_ENTRY = fileURLToPath(new URL('../child/runtime.js', import.meta.url));

/**
 * The parent's environment does not reach the child: only NODE_OPTIONS, which may carry
 * the loader the registered module needs. Everything else comes from the spec, but for
 * NODE_COMPILE_CACHE where Node has one (the spec's own value wins).
 */
export function childEnv(extra: Readonly<Record<string, string | undefined>> = {}): Record<string, string | undefined> {
  const cache = compileCacheDir();
  return { NODE_OPTIONS: process.env.NODE_OPTIONS, ...(cache === null ? {} : { NODE_COMPILE_CACHE: cache }), ...extra };
}
