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
