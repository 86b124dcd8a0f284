import type { Socket } from 'node:net';
import { deserialize, serialize } from 'node:v8';

// The control channel between parent and child: frames of a 4-byte big-endian length and
// a v8-serialized message, so values (Buffers, Maps, Dates) cross without a JSON detour.

const HEADER = 4;
/** A frame larger than this is a broken peer, not a message. */
export const MAX_FRAME = 512 * 1024 * 1024;

export function encodeFrame(message: unknown): Buffer {
  const body = serialize(message);
  const header = Buffer.allocUnsafe(HEADER);
  header.writeUInt32BE(body.length);
  return Buffer.concat([header, body]);
}

/** Calls `onMessage` for every complete frame read from `socket`. */
export function readFrames(socket: Socket, onMessage: (message: unknown) => void, onError: (error: Error) => void): void {
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= HEADER) {
      const size = pending.readUInt32BE(0);
      if (size > MAX_FRAME) {
        socket.destroy();
        onError(new Error(`control frame of ${size} bytes exceeds ${MAX_FRAME}`));
        return;
      }
      if (pending.length < HEADER + size) break;
      const body = pending.subarray(HEADER, HEADER + size);
      pending = pending.subarray(HEADER + size);
      let message: unknown;
      try {
        message = deserialize(body);
      } catch (error) {
        onError(error as Error);
        continue;
      }
      onMessage(message);
    }
  });
}
