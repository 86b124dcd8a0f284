import { Transform, type Readable } from 'node:stream';
import * as zlib from 'node:zlib';

import { Decompress as ZstdStream } from 'fzstd';

export type Compression = 'gzip' | 'zstd' | 'none';

/** Decompressed output in large chunks: each chunk is one call into the extractor. */
const CHUNK = 1 << 20;

/** What the first bytes of a layer say it is; anything else is taken as a plain tar. */
export function detectCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

type ZstdFactory = (options: { chunkSize: number }) => Transform;
/** Node's own zstd (22.15 / 23.8 and later) where this Node has it. */
const nodeZstd = (zlib as unknown as { createZstdDecompress?: ZstdFactory }).createZstdDecompress;

/** fzstd's streaming decoder as a Transform, for the Nodes without a built-in zstd. */
function fzstdTransform(): Transform {
  let push: (chunk: Buffer) => void = () => undefined;
  const decoder = new ZstdStream((data) => push(Buffer.from(data.buffer, data.byteOffset, data.byteLength)));
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      push = (out) => this.push(out);
      try {
        decoder.push(chunk);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback) {
      push = (out) => this.push(out);
      try {
        decoder.push(new Uint8Array(0), true);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}

/** The decompressor for `kind`, or undefined for a plain tar. */
export function decompressor(kind: Compression): Transform | undefined {
  if (kind === 'gzip') return zlib.createGunzip({ chunkSize: CHUNK });
  if (kind === 'zstd') return nodeZstd ? nodeZstd({ chunkSize: CHUNK }) : fzstdTransform();
  return undefined;
}

export const ZSTD_IMPLEMENTATION = nodeZstd ? 'node:zlib' : 'fzstd';

/** A stream's first chunk, and a stream of everything (that chunk included). */
export async function peek(source: Readable): Promise<{ head: Buffer; stream: AsyncIterable<Buffer> }> {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await iterator.next();
  const head = first.done ? Buffer.alloc(0) : first.value;
  async function* all(): AsyncGenerator<Buffer> {
    if (head.length) yield head;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  return { head, stream: all() };
}
