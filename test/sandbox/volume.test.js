// Volume: 200 sequential reexecs leave no fd behind, 50 concurrent ones all succeed,
// 50 MB of stdout come back whole, maxBuffer is enforced to the byte.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';

import test from 'ava';
import { newReexecer } from 'reexecer/sandbox';

import { patternBlock } from '../fixtures/sandbox/actions.js';
import { captureLogger, removeDir, runScenario, settle, tempDir } from '../fixtures/sandbox/helpers.js';

function openFds() {
  return readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return `${fd} -> ${readlinkSync(`/proc/self/fd/${fd}`)}`;
      } catch {
        return `${fd} (gone)`;
      }
    })
    .sort();
}

// Serial: it runs before the concurrent tests of this file, so nothing else opens fds here.
test.serial('root: after 200 sequential reexecs of every kind the fd count is back to its start', async (t) => {
  const dir = tempDir();
  t.teardown(() => removeDir(dir));
  const file = join(dir, 'extra');
  writeFileSync(file, 'extra file');
  const root = join(dir, 'root');
  mkdirSync(root);
  // sleep-log is aborted as soon as its first line reaches the logger.
  let abortSleeper;
  const log = captureLogger({ onRecord: (record) => record.msg === 'sleeping' && abortSleeper?.() });
  const reexecer = newReexecer(log.logger);
  const kinds = [
    ['hi', () => ({}), (r) => r.value === 'Hi from action!'],
    ['echo-stdin', () => ({ stdin: Readable.from([Buffer.from('str'), Buffer.from('eam')]) }), (r) => r.value === 'stream'],
    ['read-file', () => ({ extraFiles: [file, file], cloneUserns: true }), (r) => r.value === 'extra file'],
    ['read-file-chrooted', () => ({ extraFiles: [file], chrootDir: root, cloneUserns: true }), (r) => JSON.parse(r.value).content === 'extra file'],
    ['log', () => ({ args: ['x'] }), (r) => r.value === ''],
    ['throws', () => ({}), (r) => r.error?.kind === 'plugin-threw'],
    ['hi', () => ({ extraFiles: [join(dir, 'missing')] }), (r) => r.error?.kind === 'invalid-options'],
    ['big', () => ({ args: ['1'], maxBuffer: 1000 }), (r) => r.error?.kind === 'max-buffer'],
    ['kill-self', () => ({ args: ['SIGKILL'], stdin: 'unread' }), (r) => r.error?.kind === 'killed'],
    [
      'sleep-log',
      () => {
        const controller = new AbortController();
        abortSleeper = () => controller.abort();
        return { signal: controller.signal };
      },
      (r) => r.error?.kind === 'aborted',
    ],
  ];
  const runOne = async (i) => {
    const [id, spec, check] = kinds[i % kinds.length];
    const r = await settle(reexecer.reexec(id, spec()));
    if (!check(r)) t.fail(`reexec #${i} (${id}) gave ${JSON.stringify(r).slice(0, 500)}`);
  };
  // Warm up: whatever is opened once and kept (the addon, lazily loaded code) is open before counting.
  for (let i = 0; i < kinds.length; i++) await runOne(i);
  const before = openFds();
  for (let i = 0; i < 200; i++) await runOne(i);
  const after = openFds();
  t.deepEqual(after, before, 'the same fds, none left open');
  t.is(after.length, before.length);
});

test('root: 50 concurrent reexecs all succeed, each with its own output', async (t) => {
  const log = captureLogger();
  const reexecer = newReexecer(log.logger);
  const results = await Promise.all(
    Array.from({ length: 50 }, (_, i) => settle(reexecer.reexec('echo-args', { args: [`run-${i}`], cloneUserns: i % 2 === 0 }))),
  );
  t.deepEqual(
    results,
    Array.from({ length: 50 }, (_, i) => ({ value: JSON.stringify([`run-${i}`]) })),
  );
});

test('nobody: 50 concurrent reexecs all succeed', async (t) => {
  const r = await runScenario('concurrent', { count: 50 }, { as: 'nobody' });
  t.is(r.uid, 65534);
  t.deepEqual(r.failures, []);
  t.is(r.ok, 50);
});

test('root: a 50 MB stdout comes back whole', async (t) => {
  const mib = 50;
  const expected = createHash('sha256');
  for (let i = 0; i < mib; i++) expected.update(patternBlock(i));
  const out = await newReexecer(captureLogger().logger).reexec('pattern', { args: [String(mib)] });
  t.is(out.length, mib * 1024 * 1024);
  t.is(createHash('sha256').update(out).digest('hex'), expected.digest('hex'));
});

test('root: a stdout of exactly maxBuffer bytes is fine, one byte less → max-buffer', async (t) => {
  const reexecer = newReexecer(captureLogger().logger);
  const exact = await settle(reexecer.reexec('big', { args: ['1'], maxBuffer: 1024 * 1024 }));
  t.is(exact.error, undefined);
  t.is(exact.value.length, 1024 * 1024);
  const over = await settle(reexecer.reexec('big', { args: ['1'], maxBuffer: 1024 * 1024 - 1 }));
  t.is(over.error?.kind, 'max-buffer');
  t.regex(over.error.message, /maxBuffer \(1048575 bytes\)/);
});

for (const as of ['root', 'nobody']) {
  test(`${as}: maxBuffer exceeded → max-buffer, the child killed`, async (t) => {
    const r = await runScenario('maxBuffer', { mib: 20, maxBuffer: 64 * 1024 }, { as });
    t.is(r.error?.kind, 'max-buffer');
    t.is(r.error.signal, 'SIGKILL');
    t.is(r.length, undefined);
  });
}
