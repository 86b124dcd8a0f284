// Multi-range id maps: written directly by root, through the real newuidmap/newgidmap by
// the CI user (with /etc/subuid and /etc/subgid ranges), and refused with kind 'mapping'.
import test from 'ava';

import { ciUser, fullCapMask, mapLines, scenario } from '../helpers/native.js';

const range = (own, subStart, subSize) => [
  { namespaceId: 0, hostId: own, size: 1 },
  { namespaceId: 1, hostId: subStart, size: subSize },
];

const ROOT_MAP = { uidMappings: range(5000, 100000, 65000), gidMappings: range(5000, 100000, 65000) };
const ciMap = () => ({ uidMappings: range(ciUser().uid, 200000, 65536), gidMappings: range(ciUser().gid, 200000, 65536) });

test('root: the map 0→5000 size 1, 1→100000 size 65000 shows in uid_map and gid_map', async (t) => {
  const { child, exit } = await scenario('root', 'identity', { namespaces: ['user'], idMappings: ROOT_MAP });
  t.is(exit.exitCode, 0);
  t.deepEqual(mapLines(child.uidMap), [[0, 5000, 1], [1, 100000, 65000]]);
  t.deepEqual(mapLines(child.gidMap), [[0, 5000, 1], [1, 100000, 65000]]);
  t.is(child.uid, 0);
  t.is(child.capEff, fullCapMask());
  t.is(child.setgroups, 'allow');
});

test('root: uid 1000 inside that map creates files owned by host 100999', async (t) => {
  const r = await scenario('root', 'ownership', { idMappings: ROOT_MAP, uid: 1000, gid: 1000 });
  t.is(r.exit.exitCode, 0, r.stderr);
  t.deepEqual(r.stdout.split('\n').slice(0, 2), ['1000', '1000']);
  t.deepEqual(r.hostOwner, { uid: 100999, gid: 100999 });
});

test('root: a map of 340 lines (the kernel maximum) is written in full', async (t) => {
  // Short numbers: the whole map must also fit in one write shorter than a page.
  const uidMappings = Array.from({ length: 340 }, (_, i) => ({ namespaceId: i * 2, hostId: 1000 + i * 2, size: 1 }));
  const { child, exit } = await scenario('root', 'identity', {
    namespaces: ['user'],
    idMappings: { uidMappings, gidMappings: [{ namespaceId: 0, hostId: 1000, size: 1 }] },
  });
  t.is(exit.exitCode, 0);
  t.deepEqual(
    mapLines(child.uidMap),
    uidMappings.map((m) => [m.namespaceId, m.hostId, m.size]),
  );
  t.is(child.uid, 0);
});

test('root: host ids at and above 2^31 are written unsigned (0→3000000000)', async (t) => {
  const high = [{ namespaceId: 0, hostId: 3_000_000_000, size: 1 }, { namespaceId: 1, hostId: 4_294_967_294 - 999, size: 1000 }];
  const { child, exit } = await scenario('root', 'identity', { namespaces: ['user'], idMappings: { uidMappings: high, gidMappings: high } });
  t.is(exit.exitCode, 0);
  t.deepEqual(mapLines(child.uidMap), [[0, 3000000000, 1], [1, 4294966295, 1000]]);
  t.deepEqual(mapLines(child.gidMap), [[0, 3000000000, 1], [1, 4294966295, 1000]]);
  t.is(child.uid, 0);
});

test('ci user: subIdMappings() builds 0→own uid, 1→200000 size 65536 from /etc/subuid and /etc/subgid', async (t) => {
  const r = await scenario('ci', 'subIdMappings');
  t.is(r.parent.uid, ciUser().uid);
  t.deepEqual(r.mappings, ciMap());
});

test('ci user: the same kind of map through the real newuidmap/newgidmap', async (t) => {
  const { parent, child, exit } = await scenario('ci', 'identity', { namespaces: ['user'], idMappings: ciMap() });
  t.is(parent.uid, ciUser().uid);
  t.is(exit.exitCode, 0);
  t.deepEqual(mapLines(child.uidMap), [[0, ciUser().uid, 1], [1, 200000, 65536]]);
  t.deepEqual(mapLines(child.gidMap), [[0, ciUser().gid, 1], [1, 200000, 65536]]);
  t.is(child.uid, 0);
  t.is(child.capEff, fullCapMask());
});

test('ci user: uid 1000 inside creates files owned by host 200999', async (t) => {
  const r = await scenario('ci', 'ownership', { idMappings: ciMap(), uid: 1000, gid: 1000 });
  t.is(r.exit.exitCode, 0, r.stderr);
  t.deepEqual(r.stdout.split('\n').slice(0, 2), ['1000', '1000']);
  t.deepEqual(r.hostOwner, { uid: 200999, gid: 200999 });
});

// The child takes its non-zero ids before it makes its mounts private and sets the
// hostname, which need CAP_SYS_ADMIN that the id change just dropped.
for (const as of ['root', 'ci']) {
  test(`${as}: a non-zero uid inside works with mount and uts namespaces and a hostname`, async (t) => {
    const own = as === 'root' ? { uid: 5000, gid: 5000 } : ciUser();
    const sub = as === 'root' ? 100000 : 200000;
    const idMappings = { uidMappings: range(own.uid, sub, 65536), gidMappings: range(own.gid, sub, 65536) };
    const r = await scenario(as, 'ownership', { idMappings, uid: 1000, gid: 1000, namespaces: ['user', 'mount', 'uts'], hostname: 'as-uid-1000' });
    t.is(r.exit.exitCode, 0, r.stderr);
    t.deepEqual(r.stdout.split('\n').slice(0, 3), ['1000', '1000', 'as-uid-1000']);
    t.deepEqual(r.hostOwner, { uid: sub + 999, gid: sub + 999 });
  });
}

test('ci user: a uid range it does not own fails with kind mapping and newuidmap\'s stderr', async (t) => {
  const idMappings = { uidMappings: range(ciUser().uid, 300000, 1000), gidMappings: range(ciUser().gid, 200000, 65536) };
  const { error } = await scenario('ci', 'mappingFailure', { idMappings });
  t.truthy(error, 'the spawn rejected');
  t.true(error.isReexecError);
  t.is(error.kind, 'mapping');
  t.is(error.step, 'newuidmap');
  t.regex(error.stderr, /newuidmap: .*not allowed/);
  t.true(error.message.includes(error.stderr.trim()), error.message);
  t.regex(error.message, /\/etc\/subuid/);
});

test('ci user: a gid range it does not own fails with kind mapping and newgidmap\'s stderr', async (t) => {
  const idMappings = { uidMappings: range(ciUser().uid, 200000, 65536), gidMappings: range(ciUser().gid, 300000, 10) };
  const { error } = await scenario('ci', 'mappingFailure', { idMappings });
  t.is(error?.kind, 'mapping');
  t.is(error.step, 'newgidmap');
  t.regex(error.stderr, /newgidmap: .*not allowed/);
  t.true(error.message.includes(error.stderr.trim()), error.message);
});

test('nobody (no subordinate ids): a multi-range map fails with kind mapping', async (t) => {
  const idMappings = { uidMappings: range(65534, 200000, 10), gidMappings: range(65534, 200000, 10) };
  const { error } = await scenario('nobody', 'mappingFailure', { idMappings });
  t.is(error?.kind, 'mapping');
  t.regex(error.message, /newuidmap .* failed: newuidmap: /);
});

test('nobody: mapping an id other than its own fails with kind mapping', async (t) => {
  const idMappings = { uidMappings: [{ namespaceId: 0, hostId: 1, size: 1 }], gidMappings: [{ namespaceId: 0, hostId: 65534, size: 1 }] };
  const { error } = await scenario('nobody', 'mappingFailure', { idMappings });
  t.is(error?.kind, 'mapping');
  t.regex(error.message, /newuidmap/);
});
