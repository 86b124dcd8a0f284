import { readSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';

// The control channel between parent and child: frames of a 4-byte big-endian length, a
// codec byte and the message. Messages of strings go as JSON; a value (Buffers, Maps,
// Dates) goes through the v8 serializer. The child loads node:v8 only for such a value:
// every module it loads is paid on every start.

const HEADER = 5;
const JSON_CODEC = 0x4a; // 'J'
const V8_CODEC = 0x56; // 'V'
/** A frame larger than this is a broken peer, not a message. */
export const MAX_FRAME = 512 * 1024 * 1024;

type V8 = typeof import('node:v8');
let v8: V8 | undefined;
const loadV8 = (): V8 => (v8 ??= createRequire(import.meta.url)('node:v8') as V8);

export function encodeFrame(message: unknown, codec: 'json' | 'v8'): Buffer {
  const body = codec === 'json' ? Buffer.from(JSON.stringify(message)) : loadV8().serialize(message);
  const header = Buffer.allocUnsafe(HEADER);
  header.writeUInt32BE(body.length + 1);
  header[4] = codec === 'json' ? JSON_CODEC : V8_CODEC;
  return Buffer.concat([header, body]);
}

function decodeBody(codec: number, body: Buffer): unknown {
  if (codec === JSON_CODEC) return JSON.parse(body.toString());
  if (codec === V8_CODEC) return loadV8().deserialize(body);
  throw new Error(`control frame with unknown codec 0x${codec.toString(16)}`);
}

/** A frame larger than the reader accepts; the peer is stopped, not read further. */
export class FrameTooLargeError extends Error {
  constructor(readonly size: number, readonly limit: number) {
    super(`control frame of ${size} bytes is over the limit of ${limit} bytes`);
  }
}

/**
 * Calls `onMessage` for every complete frame read from `socket`. Chunks are kept as they
 * come and joined once per frame (linear in its size); a frame announced larger than
 * `maxFrame` is refused before its body is read. A function is asked at each header: a
 * prewarmed child's cap is known only once it is given its call.
 */
export function readFrames(
  socket: Socket,
  onMessage: (message: unknown) => void,
  onError: (error: Error) => void,
  maxFrame: number | (() => number) = MAX_FRAME,
): void {
  let chunks: Buffer[] = [];
  let buffered = 0;
  const take = (length: number): Buffer => {
    const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, buffered);
    chunks = all.length > length ? [all.subarray(length)] : [];
    buffered -= length;
    return all.subarray(0, length);
  };
  let size = -1; // of the frame being read, once its header is in
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    buffered += chunk.length;
    for (;;) {
      if (size < 0) {
        if (buffered < 4) return;
        size = take(4).readUInt32BE(0);
        const limit = Math.min(typeof maxFrame === 'function' ? maxFrame() : maxFrame, MAX_FRAME);
        if (size === 0 || size > limit + 1) {
          socket.destroy();
          onError(size === 0 ? new Error('control frame of 0 bytes is not a message') : new FrameTooLargeError(size - 1, limit));
          return;
        }
      }
      if (buffered < size) return;
      const frame = take(size);
      size = -1;
      let message: unknown;
      try {
        message = decodeBody(frame[0]!, frame.subarray(1));
      } catch (error) {
        onError(error as Error);
        continue;
      }
      onMessage(message);
    }
  });
}

/** `length` bytes: what is left of `head` first, then blocking reads from `fd`. */
function readExactly(fd: number, length: number, head: { rest: Buffer }): Buffer | undefined {
  const buffer = Buffer.allocUnsafe(length);
  let offset = head.rest.copy(buffer, 0, 0, length);
  head.rest = head.rest.subarray(offset);
  for (; offset < length; ) {
    const n = readSync(fd, buffer, offset, length - offset, null);
    if (n === 0) return undefined;
    offset += n;
  }
  return buffer;
}

/**
 * One frame read with blocking reads (the child has nothing else to do); undefined at EOF.
 * `head` holds the frame's first bytes when they came another way (with passed fds).
 */
export function readFrameSync(fd: number, head: Buffer = Buffer.alloc(0)): unknown {
  const pending = { rest: head };
  const header = readExactly(fd, HEADER, pending);
  if (!header) return undefined;
  const size = header.readUInt32BE(0);
  if (size > MAX_FRAME || size === 0) throw new Error(`control frame of ${size} bytes is not a message`);
  const body = size === 1 ? Buffer.alloc(0) : readExactly(fd, size - 1, pending);
  if (!body) return undefined;
  if (pending.rest.length > 0) throw new Error(`control frame followed by ${pending.rest.length} unexpected bytes`);
  return decodeBody(header[4]!, body);
}

/** Writes a whole frame with blocking writes; returns once the kernel has it. */
export function writeFrameSync(fd: number, frame: Buffer): void {
  for (let offset = 0; offset < frame.length; ) offset += writeSync(fd, frame, offset, frame.length - offset);
}
