import type { ChildExit, SandboxedChild } from '../native/spawn.js';

/**
 * A call's timeoutMs and signal for a child spawned before the call (spawnSandboxed applies
 * them itself to a child it spawns for the call): kills it and says why in the exit.
 */
export function deadline(child: SandboxedChild, spec: { signal?: AbortSignal; timeoutMs?: number }): Promise<ChildExit> {
  let timedOut = false;
  let aborted = false;
  const onAbort = () => {
    aborted = true;
    child.kill('SIGKILL');
  };
  const timer =
    spec.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, spec.timeoutMs);
  if (spec.signal?.aborted) onAbort();
  else spec.signal?.addEventListener('abort', onAbort, { once: true });
  return child.exited.then((exit) => {
    clearTimeout(timer);
    spec.signal?.removeEventListener('abort', onAbort);
    return { ...exit, timedOut: exit.timedOut || timedOut, aborted: exit.aborted || aborted };
  });
}
