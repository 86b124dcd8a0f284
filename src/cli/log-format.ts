import { Writable } from 'node:stream';

const NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** One pino line, readable: time, level, plugin, message, then the other fields as JSON. */
export function formatLine(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { level, time, msg, reexec, pid: _pid, hostname: _host, name: _name, plugin: _plugin, ...fields } = record;
  const clock = typeof time === 'number' ? new Date(time).toISOString().slice(11, 23) : '';
  const rest = Object.keys(fields).length ? ` ${JSON.stringify(fields)}` : '';
  return `${clock} ${(NAMES[level as number] ?? String(level)).padEnd(5)} ${reexec ? `[${reexec}] ` : ''}${msg ?? ''}${rest}`;
}

/** A pino destination that writes formatted lines to stderr. */
export function readableStderr(): Writable {
  let partial = '';
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop()!;
      for (const line of lines) if (line) process.stderr.write(`${formatLine(line)}\n`);
      done();
    },
    final(done) {
      if (partial) process.stderr.write(`${formatLine(partial)}\n`);
      done();
    },
  });
}
