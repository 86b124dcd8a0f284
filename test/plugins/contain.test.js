// Containing hostile code: the default seccomp filter, Landlock scoping and trees, and the
// resource limits, shown from inside the sandboxed plugin and from a process it starts,
// as root (namespace root on host 100000) and as nobody (self map).
import { join } from 'node:path';

import { buildProbe } from '../fixtures/plugins/contain/build-probe.js';

import test from 'ava';

import { Reexecer } from 'reexecer';

import { cli, json } from '../fixtures/cli/helpers.js';
import { asUser, captureLogger, CLI, HERE, removeDir, run, settle, tempDir } from '../fixtures/plugins/helpers.js';
import { scenarioRunners } from '../helpers/scenario-runners.js';

const { runScenario, scenario } = scenarioRunners(join(HERE, 'contain/scenarios.js'));
const USERS = ['root', 'nobody'];
const REFUSED = { ptrace: 'EPERM', keyctl: 'EPERM', bpf: 'EPERM', unshare: 'EPERM' };
// Without the filter each reaches the kernel: bpf's unknown command is EINVAL there.
const ALLOWED = { ptrace: 'ok', keyctl: 'ok', bpf: 'EINVAL', unshare: 'ok' };
const reexecer = await Reexecer.create({ plugins: [join(HERE, 'contain/plugins')], logger: captureLogger().logger });

const without = (o, key) => Object.fromEntries(Object.entries(o).filter(([k]) => k !== key && k !== 'i386' && k !== 'x32'));

for (const as of USERS) {
  test(`${as}: the default filter refuses ptrace, keyctl, bpf and unshare in the plugin and in a process it starts; seccomp: false lets them through`, async (t) => {
    const { on, off } = await scenario(as, 'probes');
    t.falsy(on.error, JSON.stringify(on.error));
    t.falsy(off.error, JSON.stringify(off.error));
    t.deepEqual(without(on.value.self, 'killHost'), REFUSED, 'in the plugin’s process');
    t.deepEqual(without(on.value.started, 'killHost'), REFUSED, 'in a process the plugin started');
    t.deepEqual(without(off.value.self, 'killHost'), ALLOWED);
    t.deepEqual(without(off.value.started, 'killHost'), ALLOWED);
    if (process.arch === 'x64') {
      // getpid through the i386 ABI (int 0x80) and the x32 one: a foreign arch is killed (SIGSYS).
      for (const where of ['self', 'started']) t.like(on.value[where], { i386: 'SYS', x32: 'SYS' }, where);
      t.is(off.value.started.i386, 'ok', 'without the filter int 0x80 works');
    }
    t.true(on.value.status.includes('Seccomp:\t2'), on.value.status.join(' '));
    t.true(off.value.status.includes('Seccomp:\t0'), off.value.status.join(' '));
  });

  test(`${as}: Landlock scoping: neither the plugin nor a process it starts can signal a process outside of the same host uid (the host, as nobody); its own process it can`, async (t) => {
    const { value, error } = await scenario(as, 'signals');
    t.falsy(error, JSON.stringify(error));
    t.deepEqual(value, { own: 'ok', fromSelf: 'EPERM', fromChild: 'exit 1' });
    const { on, off } = await scenario(as, 'probes');
    for (const r of [on, off]) t.is(r.value.self.killHost, 'EPERM');
    for (const r of [on, off]) t.is(r.value.started.killHost, 'EPERM');
  });

  test(`${as}: Node still works under the filter: a worker thread and a child process`, async (t) => {
    const { value, error } = await scenario(as, 'node');
    t.falsy(error, JSON.stringify(error));
    t.is(value.worker, 42);
    t.deepEqual(value.child, { code: 0, out: 'child ran' });
    t.true(value.status.includes('Seccomp:\t2'));
  });

  for (const id of ['ct-trees', 'ct-trees-pivot'])
  test(`${as}: landlock trees (${id}): only /out is writable and /in readable, on the main thread, the threadpool and a worker`, async (t) => {
    const { value, error, host } = await scenario(as, 'trees', { id });
    t.falsy(error, JSON.stringify(error));
    t.deepEqual(value, {
      writeOut: 'ok',
      writeOutAsync: 'ok',
      readIn: 'ok',
      writeIn: 'EACCES',
      writeElsewhere: 'EACCES',
      writeElsewhereAsync: 'EACCES',
      readElsewhere: 'EACCES',
      inWorker: 'EACCES',
    });
    t.deepEqual(host, { written: true, writtenAsync: true, inFile: 'readable', elsewhere: false });
  });

  test(`${as}: landlock trees resolve inside the sandbox: an absolute symlink is followed within the chroot dir; a tree that is missing there is invalid-options`, async (t) => {
    const { linked, written, missing } = await scenario(as, 'treesResolved');
    t.falsy(linked.error, JSON.stringify(linked.error));
    t.like(linked.value, { writeOut: 'ok', writeElsewhere: 'EACCES', readIn: 'ok' });
    t.true(written, 'the write through /out -> /real-out landed in the chroot dir');
    t.like(missing.error, { kind: 'invalid-options' });
    t.regex(missing.error.message, /landlock path \/in failed: ENOENT/);
  });

  test(`${as}: landlock given by a call binds a process the plugin starts: it writes inside the tree, not beside it`, async (t) => {
    const { value, error, host } = await scenario(as, 'started');
    t.falsy(error, JSON.stringify(error));
    t.deepEqual(value, { inside: 'ok', outside: 'exit 2' });
    t.deepEqual(host, { inside: true, outside: false });
  });

  test(`${as}: where the kernel has no Landlock, a declared landlock is landlock-unavailable with the ABI in the hint; the default scoping degrades silently`, async (t) => {
    const dir = tempDir('reexecer-probe-');
    t.teardown(() => removeDir(dir));
    const { noLandlock } = buildProbe(dir);
    const { declared, undeclared } = await runScenario('unavailable', {}, { as, prefix: [noLandlock] });
    t.like(declared.error, { kind: 'landlock-unavailable' });
    t.regex(declared.error.hint, /Landlock ABI 0/);
    t.falsy(undeclared.error, JSON.stringify(undeclared.error));
    t.is(undeclared.value.fromSelf, 'ok', 'unscoped: the host can be signalled');
    const doctor = await run([...asUser(as), noLandlock, process.execPath, CLI, 'doctor', '--json']);
    const landlock = json(t, doctor).find((c) => c.name === 'Landlock');
    t.like(landlock, { status: 'warn' });
    t.regex(landlock.detail, /^ABI 0 .*sandboxes are not scoped/);
  });

  const LIMITS = [
    ['cpu', 'ct-cpu', {}],
    ['cpu', 'ct-cpu-stubborn', {}, 'SIGXCPU handled: the hard limit kills'],
    ['cpu', 'ct-cpu-pid', {}, 'in a PID namespace, behind its init'],
    ['memory', 'ct-heap', {}, 'JS heap'],
    ['memory', 'ct-buffers', {}, 'Buffers'],
    ['fileSize', 'ct-file-size', { limits: { fileSizeBytes: 1024 * 1024 } }],
    ['openFiles', 'ct-open-files', { limits: { openFiles: 64 } }],
    ['processes', 'ct-processes', { limits: { processes: 40 } }],
  ];
  for (const [limit, id, spec, note] of LIMITS) {
    test(`${as}: ${id}${note ? ` (${note})` : ''} is stopped by its ${limit} limit: kind 'limit', error.limit '${limit}'`, async (t) => {
      const r = await scenario(as, 'limit', { id, spec });
      t.truthy(r.error, `the plugin was stopped: ${JSON.stringify(r.value)}`);
      t.is(r.error.kind, 'limit', JSON.stringify(r.error));
      t.is(r.limit, limit);
    });
  }
}

test('a call may only tighten: a higher limit, seccomp: false or a landlock tree outside the class’s are invalid-options', async (t) => {
  const cases = [
    ['ct-cpu', { limits: { cpuMs: 5000 } }, /cpuMs 5000 is above the plugin's 1000/],
    ['ct-probe', { seccomp: false }, /seccomp: false would loosen/],
    ['ct-trees', { chroot: '/', landlock: { write: ['/in'] } }, /landlock.write \/in is outside/],
    ['ct-trees', { chroot: '/', landlock: { read: ['/etc'] } }, /landlock.read \/etc is outside/],
    ['ct-open-files', { limits: { openFiles: 4 } }, /at least 32/],
    ['ct-open-files', { limits: { files: 4 } }, /limits.files is not a limit/],
    ['ct-probe', { landlock: { read: ['relative'] } }, /absolute paths/],
    ['ct-open-files', { limits: { processes: 40 } }, /processes needs the user namespace/],
  ];
  for (const [id, spec, message] of cases) {
    const { error } = await settle(reexecer.reexec(id, spec));
    t.is(error?.kind, 'invalid-options', `${id} ${JSON.stringify(spec)}: ${JSON.stringify(error)}`);
    t.regex(error?.message ?? '', message);
  }
});

test('a call may lower a class’s limit, and the lower one applies', async (t) => {
  const { error } = await settle(reexecer.reexec('ct-heap', { limits: { memoryBytes: 128 * 1024 * 1024 }, timeoutMs: 60_000 }));
  t.is(error?.kind, 'limit');
  t.regex(error.message, /stopped by its memory limit \(memoryBytes: 134217728\)/);
});

test('limits.processes is refused for a sandbox whose root is host root (the kernel exempts it)', async (t) => {
  if (process.geteuid() !== 0) return t.pass('only root can map host root');
  const hostRoot = await Reexecer.create({
    plugins: [join(HERE, 'contain/plugins')],
    logger: captureLogger().logger,
    idMappings: { uidMappings: [{ namespaceId: 0, hostId: 0, size: 1 }], gidMappings: [{ namespaceId: 0, hostId: 0, size: 1 }] },
    dangerouslyMapHostRoot: true,
  });
  const { error } = await settle(hostRoot.reexec('ct-processes', { limits: { processes: 40 } }));
  t.is(error?.kind, 'invalid-options', JSON.stringify(error));
  t.regex(error.message, /host root/);
});

test('list shows each plugin’s seccomp, landlock and limits, defaults included', async (t) => {
  const r = await cli(['list', '--json', '--plugins', join(HERE, 'contain/plugins')]);
  t.is(r.code, 0, r.stderr);
  const byId = Object.fromEntries(json(t, r).map((p) => [p.id, p.containment]));
  t.deepEqual(byId['ct-probe'], { seccomp: true, landlock: 'scoped', limits: {} });
  t.deepEqual(byId['ct-probe-off'], { seccomp: false, landlock: 'scoped', limits: {} });
  t.deepEqual(byId['ct-trees'], { seccomp: true, landlock: { read: ['/in'], write: ['/out'] }, limits: {} });
  t.deepEqual(byId['ct-cpu'], { seccomp: true, landlock: 'scoped', limits: { cpuMs: 1000 } });
  const text = await cli(['list', '--plugins', join(HERE, 'contain/plugins')]);
  t.regex(text.stdout, /^ct-probe-off\s.*seccomp:off landlock:scoped limits:none\s/m);
  t.regex(text.stdout, /^ct-heap\s.*seccomp:on landlock:scoped limits:memoryBytes=268435456\s/m);
});

test('doctor reports the default filter, the Landlock ABI and the limits this machine enforces', async (t) => {
  const r = await cli(['doctor', '--json']);
  const checks = Object.fromEntries(json(t, r).map((c) => [c.name, c]));
  t.like(checks['default seccomp filter'], { status: 'ok' });
  t.regex(checks['default seccomp filter'].detail, /\d+ syscalls refused with EPERM/);
  t.regex(checks.Landlock.detail, /^ABI \d+/);
  t.is(checks.Landlock.status, /^ABI [6-9]|^ABI \d\d/.test(checks.Landlock.detail) ? 'ok' : 'warn');
  t.regex(checks.limits.detail, /RLIMIT_NPROC/);
});

test('a prewarmed child is contained too: the filter after its chroot, its class’s limits from its spawn; a call with other limits gets a cold child', async (t) => {
  const warm = await Reexecer.create({ plugins: [join(HERE, 'contain/plugins')], logger: captureLogger().logger, prewarm: { 'ct-node': 1, 'ct-cpu': 2 } });
  t.teardown(() => warm.close());
  await warm.warmed();
  const node = await warm.reexec('ct-node');
  t.true(node.warm, 'a prewarmed child served the call');
  t.true(node.value.status.includes('Seccomp:\t2'), node.value.status.join(' '));
  t.like(await t.throwsAsync(warm.reexec('ct-cpu', { timeoutMs: 60_000 })), { kind: 'limit', limit: 'cpu' });
  t.like(await t.throwsAsync(warm.reexec('ct-cpu', { limits: { cpuMs: 500 }, timeoutMs: 60_000 })), { kind: 'limit', limit: 'cpu' });
});
