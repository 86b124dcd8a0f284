// The job of a prewarmed child travels with its files: sendFds puts the first bytes of
// the frame in the same sendmsg as the fds, recvFds returns the fds and the bytes read
// with them (at most 64 KiB), and readFrameSync reads the rest of the frame from the
// socket. Real socketpairs and real fds, in this process.
import { closeSync, fstatSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';

import test from 'ava';

import { ROOT } from '../helpers/process.js';

const { addon } = await import(join(ROOT, 'dist/native/addon.js'));
const { encodeFrame, readFrameSync } = await import(join(ROOT, 'dist/protocol/frames.js'));

/** A socketpair closed when the test ends; `close(fd)` closes one end early, once. */
function pair(t) {
  const open = new Set(addon.socketpair());
  const close = (fd) => open.delete(fd) && addon.close(fd);
  t.teardown(() => [...open].forEach(close));
  return [...open, close];
}

/** A JSON frame of exactly `bytes` bytes (a message with one string of the right length). */
function frameOf(bytes) {
  const empty = encodeFrame({ type: 'job', pad: '' }, 'json').length;
  const frame = encodeFrame({ type: 'job', pad: 'x'.repeat(bytes - empty) }, 'json');
  if (frame.length !== bytes) throw new Error(`frame of ${frame.length} bytes, wanted ${bytes}`);
  return frame;
}

// 80 000 bytes fit well within a unix socket's default send buffer (wmem_default, 208
// KiB), so one blocking sendmsg here carries the whole frame with nobody reading yet.
for (const bytes of [100, 65_535, 65_536, 65_537, 80_000]) {
  test(`a ${bytes}-byte frame with an fd: the fd arrives with the first bytes, readFrameSync reads the rest`, (t) => {
    const [ours, theirs] = pair(t);
    const file = openSync(join(ROOT, 'package.json'), 'r');
    t.teardown(() => closeSync(file));
    const frame = frameOf(bytes);
    t.is(addon.sendFds(ours, [file], frame), bytes, 'a blocking socket takes the whole frame in one sendmsg');
    const received = addon.recvFds(theirs);
    t.is(received.fds.length, 1);
    t.teardown(() => received.fds.forEach((fd) => closeSync(fd)));
    t.is(fstatSync(received.fds[0]).ino, fstatSync(file).ino, 'the same file');
    t.true(received.data.length >= 1 && received.data.length <= 65_536, `read with the fds: ${received.data.length} bytes`);
    t.deepEqual(received.data, frame.subarray(0, received.data.length));
    t.is(readFrameSync(theirs, received.data).pad.length, JSON.parse(frame.subarray(5).toString()).pad.length);
  });
}

test('a head that holds more than one frame is refused, not silently cut', (t) => {
  const [, theirs] = pair(t);
  const frame = frameOf(100);
  t.throws(() => readFrameSync(theirs, Buffer.concat([frame, Buffer.from('extra')])), { message: /control frame followed by 5 unexpected bytes/ });
});

test('a head shorter than the frame header: the header and the body are completed from the socket', (t) => {
  const [ours, theirs] = pair(t);
  const frame = frameOf(1000);
  writeSync(ours, frame.subarray(3));
  t.is(readFrameSync(theirs, frame.subarray(0, 3)).type, 'job');
});

test('recvFds at EOF is null; a message without fds gives no fds and its bytes', (t) => {
  const [ours, theirs, close] = pair(t);
  addon.sendFds(ours, [], Buffer.from('abc'));
  const received = addon.recvFds(theirs);
  t.deepEqual(received.fds, []);
  t.is(received.data.toString(), 'abc');
  close(ours);
  t.is(addon.recvFds(theirs), null);
});
