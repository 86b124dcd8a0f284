import pino, { type Logger } from 'pino';

/**
 * The action's logger: NDJSON on the log fd, written synchronously so that a line logged
 * just before the action returns is in the pipe before the child reports and exits.
 */
export function createChildLogger(fd: number, level: string): Logger {
  // `dest`, not `fd`: pino reads process.stdout.fd when `dest` is missing, and creating
  // process.stdout loads net and streams.
  return pino({ level, base: undefined }, pino.destination({ dest: fd, sync: true }));
}
