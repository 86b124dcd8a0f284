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

/** The longest log line relayed; the rest of a longer line is dropped, with a warning. */
export const MAX_LOG_LINE = 4 * 1024 * 1024;

/**
 * Relays every line from the child's log socket, like GrootFS's relogger but keeping
 * lines split across reads and partial last lines; resolves when the socket ends. Bytes
 * are kept per line and joined once (linear however the line is split); a line longer
 * than MAX_LOG_LINE keeps its first MAX_LOG_LINE bytes (as a raw line) and the relay
 * warns how many bytes it dropped.
 */
export function relog(socket: Socket, logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    let parts: Buffer[] = [];
    let kept = 0;
    let dropped = 0;
    const add = (piece: Buffer) => {
      const room = MAX_LOG_LINE - kept;
      if (piece.length > room) {
        dropped += piece.length - room;
        piece = piece.subarray(0, room);
      }
      if (piece.length > 0) parts.push(piece);
      kept += piece.length;
    };
    const endLine = () => {
      const line = Buffer.concat(parts, kept).toString('utf8');
      if (dropped > 0)
        logger.warn({ raw: line, droppedBytes: dropped }, `child wrote a log line longer than ${MAX_LOG_LINE} bytes: its first ${MAX_LOG_LINE} bytes are kept as raw, ${dropped} bytes dropped`);
      else relogLine(logger, line);
      parts = [];
      kept = 0;
      dropped = 0;
    };
    socket.on('data', (chunk: Buffer) => {
      for (let start = 0; ; ) {
        const nl = chunk.indexOf(0x0a, start);
        if (nl < 0) {
          add(chunk.subarray(start));
          break;
        }
        add(chunk.subarray(start, nl));
        endLine();
        start = nl + 1;
      }
    });
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      if (kept > 0 || dropped > 0) endLine();
      resolve();
    };
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', () => socket.destroy());
  });
}
