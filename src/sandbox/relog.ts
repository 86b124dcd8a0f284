import type { Socket } from 'node:net';
import type { Logger } from 'pino';

const LEVELS: Record<number, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

function levelName(level: unknown): (typeof LEVELS)[number] {
  if (typeof level === 'number') return LEVELS[Math.min(60, Math.max(10, Math.round(level / 10) * 10))]!;
  if (typeof level === 'string' && Object.values(LEVELS).includes(level as never)) return level as (typeof LEVELS)[number];
  return 'info';
}

/**
 * The parent's logger for one child's lines, bound to { reexec, pid }. The child's pino
 * already serialized `err`; serializing it again would turn its type into "Object".
 */
export function relayLogger(logger: Logger, id: string, pid: number): Logger {
  return logger.child({ reexec: id, pid }, { serializers: { err: (err: unknown) => err } });
}

/** One NDJSON line from the child onto the parent's logger, at its level, its time kept. */
export function relogLine(logger: Logger, line: string): void {
  if (line.trim() === '') return;
  let record: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    record = parsed as Record<string, unknown>;
  } catch {
    logger.warn({ raw: line }, 'child wrote a log line that is not JSON');
    return;
  }
  const { level, msg, ...fields } = record;
  logger[levelName(level)](fields, typeof msg === 'string' ? msg : msg === undefined ? '' : JSON.stringify(msg));
}

/**
 * Relays every line from the child's log socket, like GrootFS's relogger but keeping
 * lines split across reads and partial last lines; resolves when the socket ends.
 */
export function relog(socket: Socket, logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    let partial = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      for (const line of lines) relogLine(logger, line);
    });
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      if (partial !== '') relogLine(logger, partial);
      partial = '';
      resolve();
    };
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', () => socket.destroy());
  });
}
