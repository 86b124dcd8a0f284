// What a class declares is a floor: a call can add (a chroot dir, a user namespace, more
// namespaces, a shorter timeout) but cannot drop it. Fixture plugins of
// test/fixtures/plugins/runtime; as root in this worker, as nobody and the CI user in a
// fresh process under setpriv.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { Reexecer, ReexecError } from 'reexecer';
import { ROOT_DEFAULT_HOST_ID, ROOT_DEFAULT_SIZE } from 'reexecer/native';

import { captureLogger, ciUser, RUNTIME, scenario } from '../fixtures/plugins/helpers.js';

const log = captureLogger('warn');
const reexecer = await Reexecer.create({ plugins: [RUNTIME], logger: log.logger });
const ROOT_MAP = { uidMappings: [{ namespaceId: 0, hostId: 100000, size: 65536 }], gidMappings: [{ namespaceId: 0, hostId: 100000, size: 65536 }] };
const HOST_NS = Object.fromEntries(['user', 'uts', 'ipc', 'net', 'pid', 'mnt'].map((ns) => [ns, readlinkSync(`/proc/self/ns/${ns}`)]));
const mapLines = (text) => text.trim().split('\n').map((line) => line.trim().split(/\s+/).map(Number));

async function failure(t, promise) {
  const error = await t.throwsAsync(promise);
  t.true(error instanceof ReexecError, `a ReexecError, got ${error?.constructor?.name}: ${error?.message}`);
  return error;
}

test('class chroot: true and a call without chroot → invalid-options naming the plugin', async (t) => {
  const error = await failure(t, reexecer.reexec('rt-chroot'));
  t.is(error.kind, 'invalid-options');
  t.regex(error.message, /"rt-chroot"/);
  t.regex(error.message, /chroot/);
});

test('class chroot: true with a chroot dir: cwd is / and / is the dir', async (t) => {
  const r = await scenario('root', 'runtime', { id: 'rt-chroot', chroot: true });
  t.is(r.error, undefined);
  t.is(r.value.cwd, '/');
  t.deepEqual(r.value.root, ['a', 'b', 'c']);
  t.is(r.value.ns.user, null, 'no /proc inside the chroot');
});

test('a call adds a chroot (and a user namespace) to a plugin that declares neither', async (t) => {
  const r = await scenario('root', 'runtime', { id: 'rt-probe', chroot: true, spec: { userns: true } });
  t.is(r.error, undefined);
  t.is(r.value.child.cwd, '/');
  t.deepEqual(r.value.child.root, ['a', 'b', 'c']);
  t.is(r.value.child.uid, 0);
});

test('a chroot dir that does not exist → chroot error before any spawn', async (t) => {
  const error = await failure(t, reexecer.reexec('rt-chroot', { chroot: '/nonexistent/reexecer-root' }));
  t.is(error.kind, 'chroot');
  t.regex(error.message, /no such file or directory/);
});

test('class pivotRoot: true: the child pivots into the dir (cwd /, / is the dir)', async (t) => {
  const r = await scenario('root', 'runtime', { id: 'rt-pivot', chroot: true });
  t.is(r.error, undefined, JSON.stringify(r.error));
  t.is(r.value.cwd, '/');
  t.deepEqual(r.value.root, ['a', 'b', 'c']);
});

test('class userns: true: a call cannot drop it (userns: false → invalid-options)', async (t) => {
  const error = await failure(t, reexecer.reexec('rt-userns', { userns: false }));
  t.is(error.kind, 'invalid-options');
  t.regex(error.message, /"rt-userns"/);
  t.regex(error.message, /cannot drop/);
});

test('class userns: true: a call without userns still gets a new user namespace, as its root', async (t) => {
  const { value } = await reexecer.reexec('rt-userns');
  t.not(value.ns.user, HOST_NS.user);
  t.is(value.uid, 0);
  t.deepEqual(mapLines(value.uidMap), [[0, ROOT_DEFAULT_HOST_ID, ROOT_DEFAULT_SIZE]], "root's default map: a block of unused host ids, never host root");
});

test('a call adds a user namespace to a plugin without one; without it the child stays in the host’s', async (t) => {
  const [added, plain] = await Promise.all([reexecer.reexec('rt-probe', { userns: true }), reexecer.reexec('rt-probe')]);
  t.not(added.value.child.ns.user, HOST_NS.user);
  t.is(plain.value.child.ns.user, HOST_NS.user);
});

test('a call adds explicit maps to a plugin without a user namespace', async (t) => {
  const { value } = await reexecer.reexec('rt-probe', { userns: ROOT_MAP });
  t.deepEqual(mapLines(value.child.uidMap), [[0, 100000, 65536]]);
  t.deepEqual(mapLines(value.child.gidMap), [[0, 100000, 65536]]);
});

test('a call with bad explicit maps → invalid-options', async (t) => {
  const error = await failure(t, reexecer.reexec('rt-probe', { userns: { uidMappings: [], gidMappings: [] } }));
  t.is(error.kind, 'invalid-options');
  t.regex(error.message, /uidMappings/);
});

// BUG (src/plugins/call-spec.ts, toRunSpec: `const userns = declared.userns || call.userns`):
// for a class that declares userns: true, a call's explicit maps (or 'subids') are dropped
// without a word: the child gets the default self map. `reexecer run unpack --map-uid ...`
// is silently ignored the same way. Either the call's maps should apply (true only asks
// for "a user namespace") or the call should be refused.
test('a call’s explicit maps on a class with userns: true are applied, not silently ignored', async (t) => {
  const result = await reexecer.reexec('rt-userns', { userns: ROOT_MAP }).catch((error) => error);
  if (result instanceof ReexecError) t.is(result.kind, 'invalid-options');
  else t.deepEqual(mapLines(result.value.uidMap), [[0, 100000, 65536]]);
});

test('a call adds namespaces: uts, ipc, net, pid and mount are all new', async (t) => {
  const { value } = await reexecer.reexec('rt-probe', { userns: true, namespaces: ['uts', 'ipc', 'net', 'pid', 'mount'] });
  for (const ns of ['user', 'uts', 'ipc', 'net', 'pid', 'mnt']) t.not(value.child.ns[ns], HOST_NS[ns], `${ns} namespace is new`);
  t.is(value.child.pid, 2, "pid 1 is the sandbox's init, which reaps orphans; the plugin comes right after");
});

test('without namespaces the child shares the host’s', async (t) => {
  const { value } = await reexecer.reexec('rt-probe');
  for (const ns of ['user', 'uts', 'ipc', 'net', 'mnt']) t.is(value.child.ns[ns], HOST_NS[ns], `${ns} namespace shared`);
});

test('a call adds to the class’s namespaces and cannot drop them', async (t) => {
  const [more, none] = await Promise.all([
    reexecer.reexec('rt-uts', { namespaces: ['net'] }),
    reexecer.reexec('rt-uts', { namespaces: [] }),
  ]);
  t.not(more.value.ns.uts, HOST_NS.uts);
  t.not(more.value.ns.net, HOST_NS.net);
  t.not(none.value.ns.uts, HOST_NS.uts, 'namespaces: [] does not drop the declared uts');
  t.is(none.value.ns.net, HOST_NS.net);
});

test('the declared hostname applies; a call may name another; the host’s is unchanged', async (t) => {
  const before = hostname();
  const [declared, called] = await Promise.all([reexecer.reexec('rt-uts'), reexecer.reexec('rt-uts', { hostname: 'call-host' })]);
  t.is(declared.value.hostname, 'declared-host');
  t.is(called.value.hostname, 'call-host');
  t.is(hostname(), before);
});

test('a call’s hostname needs the uts namespace → invalid-options; with it, the child has that name', async (t) => {
  const error = await failure(t, reexecer.reexec('rt-probe', { userns: true, hostname: 'nope' }));
  t.is(error.kind, 'invalid-options');
  t.regex(error.message, /uts/);
  const { value } = await reexecer.reexec('rt-probe', { userns: true, namespaces: ['uts'], hostname: 'added-host' });
  t.is(value.child.hostname, 'added-host');
});

test('a call with an unknown namespace → invalid-options', async (t) => {
  for (const ns of ['user', 'cgroup', 42]) {
    const error = await failure(t, reexecer.reexec('rt-probe', { namespaces: [ns] }));
    t.is(error.kind, 'invalid-options');
  }
});

test('timeoutMs is capped by the class: a longer call timeout still ends at the class’s', async (t) => {
  const error = await failure(t, reexecer.reexec('rt-sleep', { args: ['60000'], timeoutMs: 60_000 }));
  t.is(error.kind, 'timeout');
  t.regex(error.message, /timed out after 4000 ms/);
});

test('timeoutMs: without a call timeout the class’s applies; a shorter call timeout wins', async (t) => {
  const [classOnly, shorter] = await Promise.all([
    reexecer.reexec('rt-sleep', { args: ['60000'] }).catch((e) => e),
    reexecer.reexec('rt-sleep', { args: ['60000'], timeoutMs: 150 }).catch((e) => e),
  ]);
  t.is(classOnly.kind, 'timeout');
  t.regex(classOnly.message, /after 4000 ms/);
  t.is(shorter.kind, 'timeout');
  t.regex(shorter.message, /after 150 ms/);
});

test('a run that ends within the class’s timeout returns its value', async (t) => {
  // The class's 50 s are not a race with a child start on a loaded machine (4 s were).
  t.is((await reexecer.reexec('rt-sleep-patient', { args: ['1'] })).value, 'woke up');
});

test('class explicit maps apply as root', async (t) => {
  const { value } = await reexecer.reexec('rt-maps');
  t.deepEqual(mapLines(value.uidMap), [[0, 100000, 65536]]);
  t.deepEqual(mapLines(value.gidMap), [[0, 100000, 65536]]);
});

test('class userns: subids as root, who has no /etc/subuid range → mapping, with the fix', async (t) => {
  const error = await failure(t, reexecer.reexec('rt-subids'));
  t.is(error.kind, 'mapping');
  t.regex(error.message, /\/etc\/subuid/);
  t.regex(error.message, /usermod --add-subuids/);
});

test('nobody: class explicit maps → mapping (only root may write them)', async (t) => {
  const r = await scenario('nobody', 'runtime', { id: 'rt-maps' });
  t.is(r.error?.kind, 'mapping', JSON.stringify(r.error ?? r.value));
});

test('nobody: class userns: true → a self map, nobody is root inside; a chroot works', async (t) => {
  const r = await scenario('nobody', 'runtime', { id: 'rt-chroot', chroot: true, spec: { userns: true } });
  t.is(r.error, undefined, JSON.stringify(r.error));
  t.is(r.value.uid, 0);
  t.is(r.value.cwd, '/');
  t.deepEqual(r.value.root, ['a', 'b', 'c']);
});

test('nobody: class chroot: true without a user namespace → chroot fails with EPERM and a hint', async (t) => {
  const r = await scenario('nobody', 'runtime', { id: 'rt-chroot', chroot: true });
  t.is(r.error?.kind, 'chroot', JSON.stringify(r.error ?? r.value));
  t.is(r.error.code, 'EPERM');
  t.regex(r.error.message, /user namespace/);
});

test('nobody: class userns: subids without a range → mapping', async (t) => {
  const r = await scenario('nobody', 'runtime', { id: 'rt-subids' });
  t.is(r.error?.kind, 'mapping', JSON.stringify(r.error ?? r.value));
});

test('CI user: class userns: subids → own id to 0, the /etc/subuid range from 1 (through newuidmap)', async (t) => {
  const { uid, gid } = ciUser();
  const r = await scenario('ci', 'runtime', { id: 'rt-subids' });
  t.is(r.error, undefined, JSON.stringify(r.error));
  t.is(r.value.uid, 0);
  t.deepEqual(mapLines(r.value.uidMap), [
    [0, uid, 1],
    [1, 200000, 65536],
  ]);
  t.deepEqual(mapLines(r.value.gidMap), [
    [0, gid, 1],
    [1, 200000, 65536],
  ]);
  t.not(r.value.ns.user, r.host.userns);
});

test('plugin files: a FIFO with no writer is refused (invalid-options), nothing blocks', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'reexecer-fifo-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync('mkfifo', [join(dir, 'fifo')]);
  const error = await failure(t, reexecer.reexec('rt-probe', { files: [join(dir, 'fifo')] }));
  t.is(error.kind, 'invalid-options');
  t.regex(error.message, /is a FIFO: only regular files/);
});
