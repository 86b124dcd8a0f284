// The defaults that contain, as root and as nobody: a user namespace without named maps
// never puts namespace root on host uid 0 (root gets a block of unused host ids, others
// their own id), a map with host 0 needs dangerouslyMapHostRoot, no_new_privs is set
// unless turned off, and a PID namespace with `init` reaps orphans.
import { join } from 'node:path';

import test from 'ava';
import { defaultIdMappings, ROOT_DEFAULT_HOST_ID, ROOT_DEFAULT_SIZE, ReexecError, spawnSandboxed } from 'reexecer/native';

import { FIXTURES, mapLines, NOBODY } from '../helpers/native.js';
import { scenarioRunners } from '../helpers/scenario-runners.js';

const { runScenario, scenario } = scenarioRunners(join(FIXTURES, 'defaults.js'));
const hostRootMap = { uidMappings: [{ namespaceId: 0, hostId: 0, size: 1 }], gidMappings: [{ namespaceId: 0, hostId: 0, size: 1 }] };

test("root's default map is ids 0-65535 on the block at 2146435072, below 2^31 and clear of systemd's ranges", (t) => {
  t.is(ROOT_DEFAULT_HOST_ID, 0x7ff0_0000);
  t.is(ROOT_DEFAULT_SIZE, 65536);
  t.true(ROOT_DEFAULT_HOST_ID + ROOT_DEFAULT_SIZE <= 0x7ffe_0000, "below systemd's foreign range");
  const block = [{ namespaceId: 0, hostId: ROOT_DEFAULT_HOST_ID, size: ROOT_DEFAULT_SIZE }];
  t.deepEqual(defaultIdMappings(), { uidMappings: block, gidMappings: block });
});

test('root: the host reads /proc/<child>/uid_map and gid_map: namespace root is host 2146435072, not 0', async (t) => {
  const r = await scenario('root', 'view');
  t.is(r.error, undefined, JSON.stringify(r.error));
  t.deepEqual(mapLines(r.uidMap), [[0, ROOT_DEFAULT_HOST_ID, ROOT_DEFAULT_SIZE]]);
  t.deepEqual(mapLines(r.gidMap), [[0, ROOT_DEFAULT_HOST_ID, ROOT_DEFAULT_SIZE]]);
  t.false(mapLines(r.uidMap).some(([, host]) => host === 0));
});

test('nobody: the default map stays its own id (all it may write)', async (t) => {
  const r = await scenario('nobody', 'view');
  t.is(r.uid, NOBODY.uid);
  t.deepEqual(mapLines(r.uidMap), [[0, NOBODY.uid, 1]]);
  t.deepEqual(mapLines(r.gidMap), [[0, NOBODY.gid, 1]]);
});

for (const as of ['root', 'nobody']) {
  test(`${as}: no_new_privs is set by default, with and without a user namespace (NoNewPrivs: 1)`, async (t) => {
    t.is((await scenario(as, 'view')).noNewPrivs, '1');
    t.is((await scenario(as, 'view', { namespaces: [] })).noNewPrivs, '1');
  });

  test(`${as}: noNewPrivileges: false turns it off (NoNewPrivs: 0)`, async (t) => {
    t.is((await scenario(as, 'view', { noNewPrivileges: false })).noNewPrivs, '0');
  });

  test(`${as}: a file the child creates as namespace root belongs to ${as === 'root' ? 'host 2146435072, not root' : 'nobody'}`, async (t) => {
    const r = await scenario(as, 'owner');
    t.is(r.exit.exitCode, 0);
    t.is(r.insideUid, 0, 'root inside');
    const host = as === 'root' ? ROOT_DEFAULT_HOST_ID : NOBODY.uid;
    t.deepEqual({ uid: r.uid, gid: r.gid }, { uid: host, gid: as === 'root' ? ROOT_DEFAULT_HOST_ID : NOBODY.gid });
  });

  test(`${as}: a map with host uid 0 is invalid-options without dangerouslyMapHostRoot`, async (t) => {
    const error = await t.throwsAsync(spawnSandboxed({ file: '/bin/true', namespaces: ['user'], idMappings: hostRootMap }), { instanceOf: ReexecError });
    t.is(error.kind, 'invalid-options');
    t.regex(error.message, /host root \(uid or gid 0\).*dangerouslyMapHostRoot: true/);
  });

  test(`${as}: in a PID namespace, init reaps the orphans a node program leaves; without it they stay zombies`, async (t) => {
    const [withInit, without] = await Promise.all([scenario(as, 'orphans', { init: true }), scenario(as, 'orphans', { init: false })]);
    t.is(withInit.pid, 2, 'the program runs under the init');
    t.is(withInit.orphans.length, 5);
    t.true(withInit.reaped, `states: ${withInit.states}`);
    t.is(withInit.exit.exitCode, 0);
    t.is(without.pid, 1, 'the node program is pid 1 itself');
    t.deepEqual(without.states, ['Z', 'Z', 'Z', 'Z', 'Z'], 'the control: node reaps only its own children');
  });
}

test('root: a map with host 0 is written with dangerouslyMapHostRoot: true', async (t) => {
  const child = await spawnSandboxed({ file: '/bin/cat', args: ['/proc/self/uid_map'], namespaces: ['user'], idMappings: hostRootMap, dangerouslyMapHostRoot: true, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  for await (const chunk of child.stdout) out += chunk;
  t.is((await child.exited).exitCode, 0);
  t.deepEqual(mapLines(out), [[0, 0, 1]]);
});

test('root of a user namespace whose only id is host root (unshare -U -r): no default map → kind mapping', async (t) => {
  const r = await runScenario('view', {}, { prefix: ['unshare', '-U', '-r', '--'] });
  t.is(r.uid, 0);
  t.is(r.error?.kind, 'mapping');
  t.regex(r.error.message, /does not map host ids 2146435072-2146500607/);
  t.regex(r.error.hint, /idMappings/);
});

test('nobody as root of its own user namespace (unshare -U -r): the default is its self map, outer nobody', async (t) => {
  const r = await runScenario('view', {}, { as: 'nobody', prefix: ['unshare', '-U', '-r', '--'] });
  t.is(r.uid, 0);
  t.deepEqual(mapLines(r.uidMap), [[0, 0, 1]], 'its namespace id 0, which is host nobody');
});
