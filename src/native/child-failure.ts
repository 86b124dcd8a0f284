import { readSync } from 'node:fs';
import { Socket } from 'node:net';

import { addon } from './addon.js';

/** Layout of ChildFailure in native/child_plan.h: char step[28]; int err. */
const STEP_BYTES = 28;
const RECORD_BYTES = STEP_BYTES + 4;

export interface ChildFailure {
  step: string;
  errno: number;
}

/** Reads a pipe to EOF on the event loop (no threadpool), then closes it. */
export function readToEnd(fd: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = new Socket({ fd, readable: true, writable: false });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      socket.destroy();
      resolve(Buffer.concat(chunks));
    });
  });
}

/** The error pipe is empty when execve succeeded (close-on-exec closed it). */
export function parseChildFailure(record: Buffer): ChildFailure | undefined {
  if (record.length < RECORD_BYTES) return undefined;
  const nul = record.indexOf(0);
  const step = record.toString('latin1', 0, nul >= 0 && nul < STEP_BYTES ? nul : STEP_BYTES);
  return { step, errno: record.readInt32LE(STEP_BYTES) };
}

/**
 * Blocks at most `ms` for the child's exec (the close-on-exec error pipe reads EOF) or its
 * failure record, which it writes in one write(2) of less than PIPE_BUF; then closes the
 * pipe. Undefined when neither came in time (a child stopped before exec, say): the pipe
 * is left open for readToEnd, so the event loop is never held longer than `ms`.
 */
export function readRecordSync(fd: number, ms: number): Buffer | undefined {
  if (!addon.pollReadable(fd, ms)) return undefined;
  const buffer = Buffer.alloc(64);
  try {
    return buffer.subarray(0, readSync(fd, buffer));
  } finally {
    addon.close(fd);
  }
}

