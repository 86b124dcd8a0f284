// The hostile-archive corpus for unpack: each archive tries to write outside the
// directory it is unpacked into (`..` paths, absolute paths, writes through symlinks,
// hardlinks to files outside, a file over a symlink). Unpacked into <parent>/a/b/target:
// every entry of <parent> outside the target (a victim next to the target, one at the
// top, a directory beside it) and the canary the archives aim at by absolute path (a file
// the test owns, /tmp/reexecer-canary-<uid>/passwd, never the host's own /etc/passwd) are
// identical before and after, and no <canary>/x appears. As root (namespace root mapped to host 100000) and
// as nobody (self map). What ended up inside the target is logged and checked.
import test from 'ava';

import { scenario } from '../fixtures/plugins/helpers.js';
import { canaryDir, HOSTILE_NAMES } from '../fixtures/plugins/layers.js';

const RUNS = {
  root: () => scenario('root', 'hostile', { maps: 'root-range', rootOwner: 100000 }),
  nobody: () => scenario('nobody', 'hostile', {}),
};
const results = {};
const resultsOf = (as) => (results[as] ??= RUNS[as]());

const UIDS = { root: 0, nobody: 65534 };

/** A file at absolute `path` unpacked in the chroot: it and its parent dirs, inside the target. */
function nested(path) {
  const parts = path.split('/').filter(Boolean);
  return Object.fromEntries(parts.map((_, i) => [parts.slice(0, i + 1).join('/'), i === parts.length - 1 ? 'file' : 'dir']));
}

/** What each archive may leave inside the target (the chroot contains it, the policy trims it). */
const inside = (canary) => ({
  'dotdot': {},
  'dotdot-twice': {},
  'dotdot-inside-path': {},
  'dotdot-dir': {},
  'overwrite-victim': {},
  // absolute paths land inside the chroot dir
  'absolute': nested(`${canary}/x`),
  'absolute-passwd': nested(`${canary}/passwd`),
  // the symlink is kept, nothing is written through it
  'symlink-root-then-write': { a: 'symlink' },
  'symlink-up-then-write': { a: 'symlink' },
  'symlink-dir-then-victim': { a: 'symlink' },
  'hardlink-victim': {},
  'hardlink-passwd': {},
  // the file replaces the symlink instead of writing through it
  'symlink-victim-then-file': { a: 'file' },
  'symlink-passwd-then-file': { 'etc': 'dir', 'etc/passwd': 'file', p: 'file' },
  'hardlink-to-symlink': { h: 'file', s: 'symlink' },
});

for (const as of Object.keys(RUNS)) {
  const INSIDE = inside(canaryDir(UIDS[as]));
  for (const name of HOSTILE_NAMES) {
    test(`${as}: ${name}: nothing outside the target changes`, async (t) => {
      const r = (await resultsOf(as))[name];
      t.truthy(r, `scenario ran ${name}`);
      t.deepEqual(r.after, r.before, 'every entry of the parent dir outside the target is unchanged');
      t.true(Object.keys(r.before).includes('a/b/victim') && Object.keys(r.before).includes('victim'), 'the victims were there');
      t.deepEqual(r.hostAfter, r.hostBefore, 'the canary is unchanged and no <canary>/x appeared');
      t.not(r.hostBefore[0], null, 'the canary was there');
      t.is(r.hostAfter[1], null);
    });

    test(`${as}: ${name}: what ends up inside the target`, async (t) => {
      const r = (await resultsOf(as))[name];
      t.log(`unpack: ${JSON.stringify(r.value ?? { error: r.error?.message })}`);
      t.log(`inside: ${JSON.stringify(Object.fromEntries(Object.entries(r.inside).map(([p, e]) => [p, e.type === 'symlink' ? `-> ${e.target}` : e.type === 'file' ? `${e.size} bytes` : e.type])))}`);
      t.is(r.error, undefined, `unpack reports instead of failing: ${JSON.stringify(r.error)}`);
      t.deepEqual(
        Object.fromEntries(Object.entries(r.inside).map(([p, e]) => [p, e.type])),
        INSIDE[name],
      );
      for (const [path, entry] of Object.entries(r.inside)) if (entry.type === 'file') t.not(entry.nlink, 2, `${path} is no hardlink to something else`);
      if (Object.keys(INSIDE[name]).length === 0 || name.includes('then-write') || name.includes('then-victim')) t.true(r.value.warnings > 0, 'the refused entry is warned about');
    });
  }

  test(`${as}: a file written over a symlink holds the archive's data, and the symlink's target keeps its own`, async (t) => {
    const all = await resultsOf(as);
    const over = all['symlink-passwd-then-file'].inside;
    t.is(over.p.size, Buffer.byteLength('pwned: written over p -> /etc/passwd'));
    t.is(over['etc/passwd'].size, Buffer.byteLength('layer passwd\n'), "the layer's own /etc/passwd was not written through p");
    t.is(all['symlink-victim-then-file'].inside.a.size, Buffer.byteLength('pwned: written over a -> ../victim'));
  });
}
