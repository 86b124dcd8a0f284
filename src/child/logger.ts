import pino, { type Logger } from 'pino';

/**
 * The action's logger: NDJSON on the log fd, written synchronously so that a line logged
 * just before the action returns is in the pipe before the child reports and exits.
 */
export function createChildLogger(fd: number, level: string): Logger {
  return pino({ level, base: undefined }, pino.destination({ fd, sync: true }));
}
