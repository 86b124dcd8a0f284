import { ReexecError } from '../errors.js';

// What the layers need for their prewarm option without loading the pool (and with it
// the spawn code), which the bundled entry points leave for first use.

/** More idle children than this per id is a typo, not a pool. */
export const MAX_PREWARM = 64;

export function validatePrewarmCount(id: string, count: unknown): asserts count is number {
  if (!(Number.isSafeInteger(count) && (count as number) >= 0 && (count as number) <= MAX_PREWARM))
    throw new ReexecError('invalid-options', `prewarm: the count for "${id}" must be an integer from 0 to ${MAX_PREWARM}, got ${JSON.stringify(count)}`);
}

const CHILD_RUNTIME = Symbol.for('reexecer.childRuntime');

/** Set by the child runtime before it imports the registering module. */
export function markChildRuntime(): void {
  (globalThis as Record<symbol, unknown>)[CHILD_RUNTIME] = true;
}

/**
 * A module that registers and also makes a reexecer at its top level runs that code in
 * the child too: there it must not start pools of grandchildren.
 */
export function inChildRuntime(): boolean {
  return (globalThis as Record<symbol, unknown>)[CHILD_RUNTIME] === true;
}
