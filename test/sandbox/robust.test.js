// Hostile and careless inputs to the sandbox layer, each in a fresh node process as root
// and as nobody: a typed error or a correct result, never a hang, never a lost report.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import test from 'ava';

import { tempDir } from '../helpers/fs.js';
import { scenarioRunners } from '../helpers/scenario-runners.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/sandbox/robust.js', import.meta.url));
const ACTIONS = fileURLToPath(new URL('../fixtures/sandbox/robust-actions.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const { runScenario } = scenarioRunners(FIXTURE);

for (const as of ['root', 'nobody']) {
  test(`${as}: a FIFO, a socket or a device in extraFiles is refused without blocking`, async (t) => {
    const r = await runScenario('specialFiles', {}, { as });
    t.like(r.fifo, { isReexecError: true, kind: 'invalid-options' });
    t.regex(r.fifo.message, /is a FIFO: only regular files/);
    t.like(r.socket, { isReexecError: true, kind: 'invalid-options' });
    t.regex(r.socket.message, /socket|ENXIO/);
    t.like(r.device, { isReexecError: true, kind: 'invalid-options' });
    t.regex(r.device.message, /is a device/);
  });

  test(`${as}: a stdin stream that errors rejects with kind stdin and kills the child`, async (t) => {
    const r = await runScenario('stdinError', {}, { as });
    t.like(r.error, { isReexecError: true, kind: 'stdin' });
    t.regex(r.error.message, /the source broke/);
    t.deepEqual(r.leftChildren, []);
  });

  test(`${as}: a result frame over maxBuffer is max-buffer, refused by its header`, async (t) => {
    const r = await runScenario('bigFrame', { mib: 64, maxMib: 4 }, { as });
    t.like(r.error, { isReexecError: true, kind: 'max-buffer' });
    t.regex(r.error.message, /result exceeded maxBuffer \(4194304 bytes\)/);
    t.deepEqual(r.leftChildren, []);
  });

  test(`${as}: a prewarmed child's result frame over maxBuffer is max-buffer too`, async (t) => {
    const r = await runScenario('bigFrameWarm', { mib: 64, maxMib: 4 }, { as });
    t.is(r.idle.length, 1); // the call took the one idle child, which is gone after it
    t.deepEqual(r.idleAlive, []);
    t.like(r.error, { isReexecError: true, kind: 'max-buffer' });
    t.regex(r.error.message, /result exceeded maxBuffer \(4194304 bytes\)/);
  });

  test(`${as}: a 40 MiB log line without a newline keeps 4 MiB and warns how much was dropped`, async (t) => {
    const r = await runScenario('longLogLine', { mib: 40 }, { as });
    t.is(r.error, undefined);
    t.like(r.warning, { level: 40, droppedBytes: 36 * 1024 * 1024, rawLength: 4 * 1024 * 1024 });
    t.regex(r.warning.msg, /longer than 4194304 bytes.*dropped/);
    t.true(r.after, 'the next line is relayed');
  });

  test(`${as}: a child that reported its result and then hangs is not a timeout`, async (t) => {
    const r = await runScenario('doneThenHang', {}, { as });
    t.is(r.error, undefined);
    t.is(r.value, '');
  });

  test(`${as}: from a host cwd the child cannot enter (/root), the child runs in /`, async (t) => {
    for (const userns of as === 'root' ? [true] : [false, true]) {
      const r = await runScenario('cwdOf', { userns }, { as, cwd: '/root' });
      t.is(r.host, '/root');
      t.is(r.value, '/', JSON.stringify(r));
    }
  });

  test(`${as}: args or stdin of a wrong type fail the call and leave no child or fd`, async (t) => {
    const r = await runScenario('wrongTypes', {}, { as });
    for (const name of ['args', 'stdin', 'stdinObject']) {
      t.truthy(r[name].error, name);
      t.deepEqual(r[name].leftChildren, [], name);
    }
    t.is(r.fdGrowth, 0);
  });

  test(`${as}: EMFILE on the first call does not break the later ones`, async (t) => {
    const r = await runScenario('emfileFirst', {}, { as, prefix: ['prlimit', '--nofile=128:128', '--'] });
    t.like(r.first, { isReexecError: true, kind: 'spawn', code: 'EMFILE' }, 'the first call fails, typed');
    t.is(r.second, 'Hi from action!');
  });
}

test('--env-file of the host does not reach the child', async (t) => {
  const dir = tempDir(t, 'reexecer-envfile-', 0o755);
  const envFile = join(dir, 'secret.env');
  writeFileSync(envFile, 'REEXECER_SECRET=from-the-env-file\n');
  const code = `import ${JSON.stringify(ACTIONS)}; import { newReexecer } from 'reexecer/sandbox'; import { pino } from 'pino';
process.stdout.write(JSON.stringify({ host: process.env.REEXECER_SECRET, child: JSON.parse(await newReexecer(pino({ level: 'silent' })).reexec('env', { env: {} })) }));`;
  const { stdout } = await promisify(execFile)(process.execPath, [`--env-file=${envFile}`, '--input-type=module', '-e', code], { cwd: ROOT, timeout: 30_000 });
  const r = JSON.parse(stdout);
  t.is(r.host, 'from-the-env-file', 'the host did load it');
  t.is(r.child.REEXECER_SECRET, undefined);
});
