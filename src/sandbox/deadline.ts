import type { ChildExit, SandboxedChild } from '../native/spawn.js';

/**
 * A call's timeoutMs and signal for a child spawned before the call (spawnSandboxed applies
 * them itself to a child it spawns for the call): kills it and says why in the exit.
 */
export function deadline(child: SandboxedChild, spec: { signal?: AbortSignal; timeoutMs?: number }): { exited: Promise<ChildExit>; end(): void } {
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
  const end = () => {
    clearTimeout(timer);
    spec.signal?.removeEventListener('abort', onAbort);
  };
  const exited = child.exited.then((exit) => {
    end();
    return { ...exit, timedOut: exit.timedOut || timedOut, aborted: exit.aborted || aborted };
  });
  return { exited, end };
}
