// The child's identity and namespaces, as root (in the ava worker), as nobody and as the
// CI user (fixture processes under setpriv): argv0, uid 0 with full CapEff, the self map,
// setgroups, the environment, UTS hostname, net namespace with only lo, PID 1.
import test from 'ava';

import { ROOT_DEFAULT_HOST_ID, ROOT_DEFAULT_SIZE } from 'reexecer/native';

import { fullCapMask, mapLines, scenario, user } from '../helpers/native.js';

const USERS = ['root', 'nobody', 'ci'];

for (const as of USERS) {
  test(`${as}: the child's argv0 is the requested id, it is uid 0 with full CapEff under the default map`, async (t) => {
    const u = user(as);
    const { parent, child, exit } = await scenario(as, 'identity', { namespaces: ['user', 'mount'], argv0: 'unpack-layer' });
    t.is(parent.uid, u.uid, 'the fixture runs as the intended user');
    t.like(exit, { exitCode: 0, signal: null, timedOut: false, aborted: false });
    t.is(child.argv0, 'unpack-layer');
    t.is(child.cmdline0, 'unpack-layer');
    t.is(child.uid, 0);
    t.is(child.euid, 0);
    t.is(child.gid, 0);
    t.is(child.egid, 0);
    t.is(child.capEff, fullCapMask(), 'namespace root with every capability, after the one exec');
    t.is(child.capPrm, fullCapMask());
    // Root's default map is a block of unused host ids, never host root; others map themselves.
    const [uidLine, gidLine] = as === 'root' ? [[0, ROOT_DEFAULT_HOST_ID, ROOT_DEFAULT_SIZE], [0, ROOT_DEFAULT_HOST_ID, ROOT_DEFAULT_SIZE]] : [[0, u.uid, 1], [0, u.gid, 1]];
    t.deepEqual(mapLines(child.uidMap), [uidLine]);
    t.deepEqual(mapLines(child.gidMap), [gidLine]);
    // Only root may leave setgroups allowed; an unprivileged self map must deny it first.
    t.is(child.setgroups, as === 'root' ? 'allow' : 'deny');
    t.not(child.userns, parent.userns, 'a new user namespace');
    t.deepEqual(child.envKeys, ['REEXECER_TEST'], "nothing of the parent's environment but what was asked");
    t.is(child.cwd, '/');
  });

  test(`${as}: without namespaces the child keeps the caller's ids and user namespace, argv0 still set`, async (t) => {
    const u = user(as);
    const { parent, child } = await scenario(as, 'identity', { namespaces: [], argv0: 'plain-id' });
    t.is(child.argv0, 'plain-id');
    t.is(child.uid, u.uid);
    t.is(child.gid, u.gid);
    t.is(child.userns, parent.userns);
    t.is(child.capEff, as === 'root' ? parent.capBnd : '0000000000000000');
  });

  test(`${as}: a UTS namespace with a hostname shows it inside only`, async (t) => {
    const r = await scenario(as, 'uts', { namespaces: ['user', 'uts'], hostname: 'reexecer-box' });
    t.is(r.exit.exitCode, 0, r.stderr);
    t.is(r.inside, 'reexecer-box');
    t.not(r.parent.hostname, 'reexecer-box', "the parent's hostname is untouched");
  });

  test(`${as}: a new net namespace has only lo`, async (t) => {
    const r = await scenario(as, 'net', { namespaces: ['user', 'net'] });
    t.is(r.exit.exitCode, 0);
    t.deepEqual(r.inside, ['lo']);
    t.not(r.insideNetns, r.parent.netns);
    t.true(r.outside.includes('lo'), '/proc/net/dev parses outside too');
  });

  test(`${as}: in a new PID namespace the child is pid 1`, async (t) => {
    const r = await scenario(as, 'pid', { namespaces: ['user', 'pid'] });
    t.is(r.exit.exitCode, 0);
    t.is(r.inside, '1');
    t.not(r.hostPid, 1);
  });
}

test('root: the uts namespace alone (no user namespace) takes the hostname', async (t) => {
  const r = await scenario('root', 'uts', { namespaces: ['uts'], hostname: 'root-only-uts' });
  t.is(r.exit.exitCode, 0, r.stderr);
  t.is(r.inside, 'root-only-uts');
});

test('root: every namespace at once', async (t) => {
  const all = ['user', 'mount', 'uts', 'ipc', 'net', 'pid', 'cgroup'];
  const { child, exit } = await scenario('root', 'identity', { namespaces: all });
  t.is(exit.exitCode, 0);
  t.is(child.uid, 0);
  t.is(child.capEff, fullCapMask());
  const pid = await scenario('root', 'pid', { namespaces: all });
  t.is(pid.inside, '1');
});
