// The shipped plugins (plugins/dist: whoami, hostname, unpack, chown-tree) end to end, as
// root (in this worker), as nobody and as the CI user reexecer-ci (a node process under
// setpriv). Maps for unpack and chown-tree: as root, namespace 0-65535 on host
// 100000-165535; nobody gets the default self map; the CI user its /etc/subuid ranges.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

import test from 'ava';

import { Reexecer } from 'reexecer';
import { ROOT_DEFAULT_HOST_ID } from 'reexecer/native';

import { captureLogger, ciUser, NOBODY, scenario, sha256, SHIPPED } from '../fixtures/plugins/helpers.js';
import { layerEntries } from '../fixtures/plugins/layers.js';

const STATUS = readFileSync('/proc/self/status', 'utf8');
/** Every capability of this kernel: what namespace root holds after its exec. */
const FULL_CAPS = ((1n << (BigInt(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim()) + 1n)) - 1n).toString(16).padStart(16, '0');
const NO_CAPS = '0'.repeat(16);
/** Root's own CapEff here (a container may hold back some capabilities). */
const HOST_CAPS = /^CapEff:\s*([0-9a-f]+)$/m.exec(STATUS)[1];
const HOST_USERNS = readlinkSync('/proc/self/ns/user');
const USERS = ['root', 'nobody', 'ci'];
const ROOT_LISTING = readdirSync('/').sort();

function ids(as) {
  if (as === 'root') return { uid: 0, gid: 0 };
  if (as === 'nobody') return NOBODY;
  return ciUser();
}

/** Runs each scenario once per key; the tests of a file share the result. */
const memo = new Map();
function once(as, name, arg) {
  const key = `${as} ${name} ${JSON.stringify(arg)}`;
  if (!memo.has(key)) memo.set(key, scenario(as, name, arg));
  return memo.get(key);
}

// ---------------------------------------------------------------- whoami

for (const as of USERS) {
  const me = ids(as);

  test(`${as}: whoami without a user namespace: the caller's ids and capabilities, the host's namespace and cwd`, async (t) => {
    const r = await once(as, 'whoami', {});
    t.is(r.error, undefined, JSON.stringify(r.error));
    t.is(r.value.uid, me.uid);
    t.is(r.value.gid, me.gid);
    t.is(r.value.userns, r.host.userns);
    t.is(r.value.userns, HOST_USERNS);
    t.is(r.value.capEff, as === 'root' ? HOST_CAPS : NO_CAPS);
    t.is(r.value.hostname, hostname());
    t.is(r.value.cwd, r.host.cwd, "the child's cwd is the parent's");
    t.deepEqual(r.value.root, ROOT_LISTING);
    t.true(r.records.some((rec) => rec.msg === 'whoami' && rec.plugin === 'whoami' && rec.uid === me.uid), 'the debug line reached the logger');
  });

  test(`${as}: whoami --userns: uid 0 in a new user namespace with every capability`, async (t) => {
    const r = await once(as, 'whoami', { spec: { userns: true } });
    t.is(r.error, undefined, JSON.stringify(r.error));
    t.is(r.value.uid, 0);
    t.is(r.value.gid, 0);
    t.truthy(r.value.userns);
    t.not(r.value.userns, HOST_USERNS);
    t.is(r.value.capEff, FULL_CAPS);
    t.is(r.hostAfter.uid, me.uid, 'the host process is unchanged');
  });

  test(`${as}: whoami chrooted (with a user namespace): cwd / and the chroot dir's entries at /`, async (t) => {
    const arg = { spec: { userns: true }, chroot: true, ...(as === 'ci' ? { maps: 'subids' } : {}) };
    const r = await once(as, 'whoami', arg);
    t.is(r.error, undefined, JSON.stringify(r.error));
    t.is(r.value.cwd, '/');
    t.deepEqual(r.value.root, ['a', 'b', 'c']);
    t.deepEqual(r.value.root, r.chrootListing);
    t.is(r.value.userns, null, 'no /proc inside the chroot');
    t.is(r.value.uid, 0);
    t.is(r.value.capEff, FULL_CAPS);
  });
}

test('root: whoami chrooted without a user namespace (root may chroot)', async (t) => {
  const r = await once('root', 'whoami', { chroot: true });
  t.is(r.error, undefined, JSON.stringify(r.error));
  t.is(r.value.cwd, '/');
  t.deepEqual(r.value.root, ['a', 'b', 'c']);
  t.is(r.value.capEff, HOST_CAPS);
});

test('root: whoami chrooted as namespace root mapped to host 100000, in a dir that host id owns', async (t) => {
  const r = await once('root', 'whoami', { spec: { userns: true }, chroot: true, chrootOwner: 100000, maps: 'root-range' });
  t.is(r.error, undefined, JSON.stringify(r.error));
  t.is(r.value.uid, 0);
  t.deepEqual(r.value.root, ['a', 'b', 'c']);
});

test('nobody: whoami chrooted without a user namespace → chroot EPERM', async (t) => {
  const r = await once('nobody', 'whoami', { chroot: true });
  t.is(r.error?.kind, 'chroot', JSON.stringify(r.error ?? r.value));
  t.is(r.error.code, 'EPERM');
});


// ---------------------------------------------------------------- hostname

for (const as of USERS) {
  test(`${as}: hostname sets the name of a new UTS namespace; the host's is unchanged`, async (t) => {
    const name = `reexecer-${as}-${process.pid}`;
    const r = await once(as, 'hostname', { args: [name] });
    t.is(r.error, undefined, JSON.stringify(r.error));
    t.deepEqual(r.value, { before: r.host.hostname, after: name });
    t.is(r.hostHostnameAfter, r.host.hostname);
    t.is(hostname(), r.host.hostname);
    t.true(r.records.some((rec) => rec.msg === 'hostname set' && rec.after === name));
  });
}

test('hostname without an argument → plugin-threw saying what to give', async (t) => {
  const r = await once('root', 'hostname', { args: [] });
  t.is(r.error?.kind, 'plugin-threw');
  t.regex(r.error.message, /give the new hostname/);
});

test('hostname too long for the kernel → plugin-threw, the host unchanged', async (t) => {
  const r = await once('nobody', 'hostname', { args: ['h'.repeat(65)] });
  t.is(r.error?.kind, 'plugin-threw', JSON.stringify(r.error ?? r.value));
  t.is(r.hostHostnameAfter, r.host.hostname);
});

// ---------------------------------------------------------------- unpack

/** The host id of a namespace id under each user's map. */
const HOST_ID = {
  root: (id) => 100000 + id,
  // No maps named: root's default map, never host root.
  'root default': (id) => ROOT_DEFAULT_HOST_ID + id,
  nobody: () => NOBODY.uid,
  ci: (id, which) => (id === 0 ? ciUser()[which] : 200000 + id - 1),
};

const UNPACKS = {
  root: { maps: 'root-range', rootOwner: 100000, chownTo: [0, 0] },
  'root gzip': { maps: 'root-range', rootOwner: 100000, gzip: true },
  'root default': { rootOwner: ROOT_DEFAULT_HOST_ID },
  // a self map has no id for the layer's other owners: only lenient goes on past them
  nobody: { gzip: true, chownTo: [0, 0], args: ['--lenient'] },
  ci: { maps: 'subids', chownTo: [0, 0] },
};
const userOf = (run) => run.split(' ')[0];
const layer = layerEntries();
const expectedPath = (e) => e.name.replace(/\/$/, '');
const FILES = layer.filter((e) => e.type === 'file');
// Modes a umask or mkdir(2) would change: checked on their own below.
const WRITABLE_BY_OTHERS = (e) => (e.mode & 0o022) !== 0 || (e.type === 'dir' && (e.mode & 0o7000) !== 0);

for (const [run, arg] of Object.entries(UNPACKS)) {
  const as = userOf(run);
  const unpack = () => once(as, 'unpack', arg);

  test(`${run}: unpack returns { entries, bytesWritten, warnings } and writes every entry`, async (t) => {
    const r = await unpack();
    t.is(r.error, undefined, JSON.stringify(r.error));
    t.is(r.value.entries, layer.length);
    t.is(r.value.bytesWritten, FILES.reduce((sum, e) => sum + Buffer.byteLength(e.data), 0));
    if (as === 'nobody') {
      t.true(r.value.warnings > 0, 'the owners a self map lacks are warned about');
      t.true(r.value.warningList.every((w) => w.code === 'EINVAL' && /chown/.test(w.op) && layer.some((e) => e.name === w.path)), 'each warning names its path');
      t.is(r.value.warningList.length, r.value.warnings);
    }
    else t.is(r.value.warnings, 0, JSON.stringify(r.records.filter((rec) => rec.level >= 40)));
    t.deepEqual(Object.keys(r.tree).sort(), layer.map(expectedPath).sort());
    t.true(r.records.some((rec) => rec.msg === 'layer unpacked' && rec.entries === layer.length));
  });

  test(`${run}: unpack keeps file contents, modes (setuid 04755, setgid 02755, 0640, 0600) and file mtimes`, async (t) => {
    const r = await unpack();
    for (const e of layer.filter((x) => !WRITABLE_BY_OTHERS(x) && x.type !== 'symlink' && x.type !== 'link')) {
      const got = r.tree[expectedPath(e)];
      t.is(got.type, e.type, e.name);
      t.is(got.mode.toString(8), e.mode.toString(8), `mode of ${e.name}`);
      if (e.type === 'file') {
        if (got.sha256 !== 'EACCES') t.is(got.sha256, sha256(Buffer.from(e.data)), `content of ${e.name}`);
        t.is(got.size, Buffer.byteLength(e.data));
        t.is(got.mtime, e.mtime, `mtime of ${e.name}`);
      }
    }
  });

  test(`${run}: unpack keeps symlinks and hardlinks`, async (t) => {
    const r = await unpack();
    t.like(r.tree['usr/bin/sh'], { type: 'symlink', target: '/bin/busybox' });
    t.like(r.tree['usr/bin/rel'], { type: 'symlink', target: 'tool' });
    t.like(r.tree['usr/bin/tool-link'], { type: 'file', inodeOf: 'usr/bin/tool', nlink: 2, mode: 0o4755 });
    t.is(r.tree['usr/bin/tool'].nlink, 2);
  });

  test(`${run}: unpack maps every owner through the namespace's map`, async (t) => {
    const r = await unpack();
    for (const e of layer.filter((x) => x.type !== 'link')) {
      const got = r.tree[expectedPath(e)];
      t.is(got.uid, (HOST_ID[run] ?? HOST_ID[as])(e.uid ?? 0, 'uid'), `host uid of ${e.name}`);
      t.is(got.gid, (HOST_ID[run] ?? HOST_ID[as])(e.gid ?? 0, 'gid'), `host gid of ${e.name}`);
    }
  });

  if (arg.chownTo)
    test(`${run}: chown-tree gives the whole tree to namespace root (host ${as === 'root' ? 100000 : as === 'nobody' ? 'nobody' : 'the CI user'})`, async (t) => {
      const r = await unpack();
      t.is(r.chownError, undefined, JSON.stringify(r.chownError));
      t.deepEqual(r.chownValue, { changed: layer.length + 1 });
      t.deepEqual(Object.keys(r.chownedTree).sort(), Object.keys(r.tree).sort());
      for (const [path, got] of Object.entries(r.chownedTree)) {
        t.is(got.uid, HOST_ID[as](0, 'uid'), path);
        t.is(got.gid, HOST_ID[as](0, 'gid'), path);
      }
      t.true(r.removed, 'afterwards the host user can remove the tree');
    });
}

test('root default: unpack with no maps named turns no set-id file into one of host root', async (t) => {
  const r = await once('root', 'unpack', UNPACKS['root default']);
  t.is(r.error, undefined, JSON.stringify(r.error));
  const setIds = layer.filter((e) => e.type === 'file' && (e.mode & 0o6000) !== 0);
  t.true(setIds.length >= 2, 'the layer has setuid and setgid files');
  for (const e of setIds) {
    const got = r.tree[expectedPath(e)];
    t.is(got.mode & 0o6000, e.mode & 0o6000, `${e.name} keeps its set-id bits`);
    t.not(got.uid, 0, `${e.name} does not belong to host root`);
    t.not(got.gid, 0, `${e.name} is not host root's group`);
    t.is(got.uid, ROOT_DEFAULT_HOST_ID + (e.uid ?? 0));
  }
});

test('unpack: a gzip layer and a plain one give the same tree', async (t) => {
  const [plain, gzip] = await Promise.all([once('root', 'unpack', UNPACKS.root), once('root', 'unpack', UNPACKS['root gzip'])]);
  t.deepEqual(gzip.tree, plain.tree);
  const { layers: [g], ...gzipTotals } = gzip.value;
  const { layers: [p], ...plainTotals } = plain.value;
  t.deepEqual(gzipTotals, plainTotals);
  t.is(g.compression, 'gzip');
  t.is(p.compression, 'none');
});

test('unpack as the CI user: a multi-range map (own id to 0, subordinate range from 1)', async (t) => {
  const r = await once('ci', 'unpack', UNPACKS.ci);
  const { uid, gid } = ciUser();
  t.deepEqual(r.mappings, {
    uidMappings: [{ namespaceId: 0, hostId: uid, size: 1 }, { namespaceId: 1, hostId: 200000, size: 65536 }],
    gidMappings: [{ namespaceId: 0, hostId: gid, size: 1 }, { namespaceId: 1, hostId: 200000, size: 65536 }],
  });
  t.is(r.tree['var/www/index.html'].uid, 200032);
  t.is(r.tree['home/app/run.sh'].gid, 201000);
});

// Known failures of plugins/unpack.ts (reported): node-tar is told processUmask: 0 while the
// child's real umask is 022, so tar skips the chmod after mkdir/open and every group/other
// write bit is lost (0666 → 0644, 0777 → 0755, 01777 → 01755); mkdir(2) also drops a
// directory's setgid bit (02775 → 0755), and only files get their set-id bits restored.
test('unpack keeps modes with group/other write bits and set-id bits on directories', async (t) => {
  const r = await once('root', 'unpack', UNPACKS.root);
  for (const e of layer.filter(WRITABLE_BY_OTHERS)) t.is(r.tree[expectedPath(e)].mode.toString(8), e.mode.toString(8), e.name);
});

// Directory mtimes are set when the directory entry is unpacked; creating its children
// afterwards changes them again (GNU tar sets them once the archive is done).
test('unpack keeps directory mtimes', async (t) => {
  const r = await once('root', 'unpack', UNPACKS.root);
  for (const e of layer.filter((x) => x.type === 'dir')) t.is(r.tree[expectedPath(e)].mtime, e.mtime, e.name);
});

// node-tar does not lutimes symlinks (GNU tar does).
test('unpack keeps symlink mtimes', async (t) => {
  const r = await once('root', 'unpack', UNPACKS.root);
  for (const e of layer.filter((x) => x.type === 'symlink')) t.is(r.tree[expectedPath(e)].mtime, e.mtime, e.name);
});

// ---------------------------------------------------------------- chown-tree

test('root: chown-tree 5 7 maps to host 100005:100007, chowns symlinks themselves, not their targets', async (t) => {
  const r = await once('root', 'chownTree', { maps: 'root-range', owner: 100033, args: ['5', '7'] });
  t.is(r.error, undefined, JSON.stringify(r.error));
  t.deepEqual(r.value, { changed: 6 });
  t.deepEqual(Object.keys(r.tree).sort(), ['d', 'd/e', 'd/e/f', 'g', 'link-out']);
  for (const [path, got] of Object.entries(r.tree)) t.deepEqual([got.uid, got.gid], [100005, 100007], path);
  t.is(r.tree['link-out'].target, '/etc/passwd');
  t.deepEqual(r.passwdOwner, [0, 0, 0, 0], '/etc/passwd keeps its owner');
  t.true(r.records.some((rec) => rec.msg === 'tree chowned' && rec.uid === 5 && rec.gid === 7));
});

test('nobody: chown-tree 0 0 under a self map keeps everything nobody’s', async (t) => {
  const r = await once('nobody', 'chownTree', { args: ['0', '0'] });
  t.is(r.error, undefined, JSON.stringify(r.error));
  t.deepEqual(r.value, { changed: 6 });
  for (const [path, got] of Object.entries(r.tree)) t.deepEqual([got.uid, got.gid], [NOBODY.uid, NOBODY.gid], path);
});

test('nobody: chown-tree to an id the self map lacks → plugin-threw (EINVAL)', async (t) => {
  const r = await once('nobody', 'chownTree', { args: ['1', '1'] });
  t.is(r.error?.kind, 'plugin-threw', JSON.stringify(r.error ?? r.value));
  t.is(r.error.code, 'EINVAL');
});

test('chown-tree with bad arguments → plugin-threw saying what to give', async (t) => {
  const r = await once('root', 'chownTree', { maps: 'root-range', owner: 100000, args: ['x'] });
  t.is(r.error?.kind, 'plugin-threw');
  t.regex(r.error.message, /give the uid/);
});

test('chown-tree and unpack declare chroot: true: a call without a chroot dir → invalid-options', async (t) => {
  const reexecer = await Reexecer.create({ plugins: [SHIPPED], logger: captureLogger().logger });
  for (const id of ['chown-tree', 'unpack']) {
    const error = await t.throwsAsync(reexecer.reexec(id, { args: ['0', '0'] }));
    t.is(error.kind, 'invalid-options', id);
  }
});
