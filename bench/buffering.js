// How the parent buffers what a child sends: one result frame of --mib MiB and one log line
// of --mib MiB without a newline, each written into a real socketpair in 64 KiB writes and
// read by (a) this commit's readFrames / relog and (b) the previous ones (v0: a
// Buffer.concat of everything pending per chunk; a string `partial + chunk` then split per
// chunk), kept verbatim below as the peer. Cases alternate per round; the headline is the
// median of per-round ratios v0 / now, in wall time of the read.
import { Socket } from 'node:net';

import pino from 'pino';

import { addon } from '../dist/native/addon.js';
import { readFrames } from '../dist/protocol/frames.js';
import { relog } from '../dist/sandbox/relog.js';
import { fmt, interleave, machine, options, ratioMedian, rounded, stats, table } from './lib/stats.js';

const USAGE = 'node bench/buffering.js [--mib 16] [--rounds 3] [--warmup 1]';
const opts = options(USAGE, { mib: [16, 1], rounds: [3, 1], warmup: [1, 0] });
const SIZE = opts.mib * 1024 * 1024;
const CHUNK = 64 * 1024;

/** The readFrames of commit 691fcdf. */
function readFramesV0(socket, onMessage) {
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 5) {
      const size = pending.readUInt32BE(0);
      if (pending.length < 4 + size) break;
      const body = pending.subarray(5, 4 + size);
      pending = pending.subarray(4 + size);
      onMessage(JSON.parse(body.toString()));
    }
  });
}

/** The relog line splitting of commit 691fcdf. */
function relogV0(socket, onLine) {
  return new Promise((resolve) => {
    let partial = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop();
      for (const line of lines) onLine(line);
    });
    socket.on('end', () => {
      if (partial !== '') onLine(partial);
      resolve();
    });
  });
}

/** Writes `payload` in CHUNK writes into one end of a socketpair; `read(socket)` resolves when done. */
async function timeRead(payload, read) {
  const [mine, theirs] = addon.socketpair();
  const reader = new Socket({ fd: mine, readable: true, writable: false });
  const writer = new Socket({ fd: theirs, readable: false, writable: true });
  const start = process.hrtime.bigint();
  const done = read(reader);
  for (let offset = 0; offset < payload.length; offset += CHUNK) {
    if (!writer.write(payload.subarray(offset, offset + CHUNK))) await new Promise((r) => writer.once('drain', r));
  }
  writer.end();
  await done;
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  reader.destroy();
  writer.destroy();
  return ms;
}

const frame = Buffer.alloc(5 + SIZE, 0x20);
frame.writeUInt32BE(SIZE + 1);
frame[4] = 0x4a;
frame[5] = 0x22; // a JSON string: '"   ...   "'
frame[frame.length - 1] = 0x22;
const line = Buffer.concat([Buffer.alloc(SIZE, 0x61), Buffer.from('\n')]);
const silent = pino({ level: 'silent' });

const cases = [
  ['frame now', () => timeRead(frame, (s) => new Promise((resolve) => readFrames(s, resolve, resolve, SIZE + 1)))],
  ['frame v0', () => timeRead(frame, (s) => new Promise((resolve) => readFramesV0(s, resolve)))],
  ['log line now', () => timeRead(line, (s) => relog(s, silent))],
  ['log line v0', () => timeRead(line, (s) => relogV0(s, () => {}))],
];
const { samples } = await interleave(cases, opts.rounds, opts.warmup);
const s = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, stats(v)]));
table(['case', 'median ms', 'min ms'], Object.entries(s).map(([k, v]) => [k, fmt(v.median), fmt(v.min)]));
const ratios = { frame: ratioMedian(samples['frame v0'], samples['frame now']), logLine: ratioMedian(samples['log line v0'], samples['log line now']) };
console.log(`v0 / now: frame ${fmt(ratios.frame, 0)}x, log line ${fmt(ratios.logLine, 0)}x (${opts.mib} MiB)`);
console.log(JSON.stringify(rounded({ bench: 'buffering', mib: opts.mib, rounds: opts.rounds, stats: s, ratios, machine: machine() })));
