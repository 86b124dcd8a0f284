import type { Readable } from 'node:stream';

export interface Collected {
  /** Resolves with everything read, or rejects once more than maxBuffer arrived. */
  done: Promise<Buffer>;
}

export class MaxBufferError extends Error {
  constructor(readonly stream: string, readonly maxBuffer: number) {
    super(`the child's ${stream} exceeded maxBuffer (${maxBuffer} bytes)`);
  }
}

/**
 * Resolves once `stream` ended or closed, whichever comes first: at 'end' everything it
 * carried has been read, and 'close' comes a loop turn later (or alone, when destroyed).
 */
export function ended(stream: Readable): Promise<void> {
  return new Promise((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
  });
}

export function collect(stream: Readable, name: string, maxBuffer: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBuffer) {
        stream.destroy();
        reject(new MaxBufferError(name, maxBuffer));
        return;
      }
      chunks.push(chunk);
    });
    stream.on('end', () => resolve(Buffer.concat(chunks, size)));
    stream.on('close', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}
