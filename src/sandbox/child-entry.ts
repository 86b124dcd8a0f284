import { fileURLToPath } from 'node:url';

export { inheritedExecArgv as childExecArgv } from '../reexec/exec-argv.js';

/**
 * The runtime the child execs: src/child/main.ts bundled with pino into one file, because
 * every child start pays for its imports (pino alone: 26 ms as files, 8 ms bundled).
 */
export const CHILD_ENTRY = fileURLToPath(new URL('../child/runtime.js', import.meta.url));

/**
 * The parent's environment does not reach the child: only NODE_OPTIONS, which may carry
 * the loader the registered module needs. Everything else comes from the spec.
 */
export function childEnv(extra: Readonly<Record<string, string | undefined>> = {}): Record<string, string | undefined> {
  return { NODE_OPTIONS: process.env.NODE_OPTIONS, ...extra };
}
