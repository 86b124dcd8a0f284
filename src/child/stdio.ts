type Stdio = 'stdout' | 'stderr';

/**
 * process.stdout and stderr are created on first use (loading net and streams, a cost
 * every child would pay). Records which ones the action touched: only those can hold
 * output that process.exit() would drop, all but the first 64 KiB of a large stdout.
 */
export function watchStdio(): { flush(): Promise<void> } {
  const used = new Set<Stdio>();
  for (const name of ['stdout', 'stderr'] as const) {
    const descriptor = Object.getOwnPropertyDescriptor(process, name);
    if (!descriptor?.get || !descriptor.configurable) {
      used.add(name);
      continue;
    }
    Object.defineProperty(process, name, {
      configurable: true,
      enumerable: descriptor.enumerable,
      get() {
        used.add(name);
        return descriptor.get!.call(process);
      },
    });
  }
  return {
    flush: () => Promise.all([...used].map((name) => flushed(process[name]))).then(() => undefined),
  };
}

/**
 * Resolves once everything written to `stream` so far is written (or cannot be). Nothing
 * pending (every write already in the kernel) resolves at once: waiting for an empty
 * write's callback costs a turn of the event loop.
 */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable || stream.writableLength === 0) resolve();
    else stream.write('', () => resolve());
  });
}
