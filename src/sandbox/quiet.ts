import type { EventEmitter } from 'node:events';

/**
 * Resolves once none of `sources` emitted data for `ms`, checked after pending I/O has been
 * read (setImmediate runs after the poll phase): on a loaded machine a timer can fire
 * before the data that is already waiting on a socket, and that data must not be lost.
 * Call the returned cancel() when the race is decided, so no timer is left behind.
 */
export function quietFor(ms: number, sources: readonly (EventEmitter | null)[]): { quiet: Promise<void>; cancel(): void } {
  let last = Date.now();
  const touch = () => (last = Date.now());
  for (const source of sources) source?.on('data', touch);
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  const quiet = new Promise<void>((resolve) => {
    const check = () => {
      immediate = setImmediate(() => {
        const idle = Date.now() - last;
        if (idle >= ms) resolve();
        else timer = setTimeout(check, ms - idle);
      });
    };
    timer = setTimeout(check, ms);
  });
  return {
    quiet,
    cancel() {
      clearTimeout(timer);
      if (immediate) clearImmediate(immediate);
      for (const source of sources) source?.off('data', touch);
    },
  };
}
