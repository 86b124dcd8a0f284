// The hostile-archive corpus for unpack: each archive tries to write outside the
// directory it is unpacked into (`..` paths, absolute paths, writes through symlinks,
// hardlinks to files outside, a file over a symlink). Unpacked into <parent>/a/b/target:
// every entry of <parent> outside the target (a victim next to the target, one at the
// top, a directory beside it) and the canary the archives aim at by absolute path (a file
// the test owns, /tmp/reexecer-canary-<run>/passwd, never the host's /etc/passwd, so that a
// containment bug damages only the test's) are identical before and after, and no
// <canary>/x appears. As root (namespace root mapped to host 100000) and
// as nobody (self map); through the shipped plugin (chroot + userns) and by calling the
// extractor directly without any chroot (openat2 RESOLVE_IN_ROOT alone, and the O_NOFOLLOW
// walk of kernels without openat2); strict (the default) and lenient.
import test from 'ava';

import { scenario } from '../fixtures/plugins/helpers.js';
import { HOSTILE_NAMES, hostileArchives } from '../fixtures/plugins/layers.js';

const VIAS = ['plugin', 'direct', 'walk'];
const runs = {};
/** The canary directory of one run: runs go on concurrently, each needs its own. */
const canaryOf = (as, via, lenient) => `/tmp/reexecer-canary-${as}-${via}-${lenient ? 'lenient' : 'strict'}`;
function resultsOf(as, via, lenient) {
  const key = `${as} ${via} ${lenient}`;
  runs[key] ??= scenario(as, 'hostile', { canary: canaryOf(as, via, lenient), ...(as === 'root' && via === 'plugin' ? { maps: 'root-range', rootOwner: 100000 } : {}), via, lenient });
  return runs[key];
}

/** Entries refused whatever the resolution: a '..' component, or a link to what the root lacks. */
const REFUSED = new Set(['dotdot', 'dotdot-twice', 'dotdot-inside-path', 'dotdot-dir', 'overwrite-victim', 'hardlink-victim', 'hardlink-passwd']);
/** The walk never follows a symlink in a parent path: these are refused there too. */
const REFUSED_BY_WALK = new Set(['symlink-root-then-write', 'symlink-up-then-write', 'symlink-dir-then-victim']);

/** A file at absolute `path` unpacked beneath the root: it and its parent dirs, inside the target. */
function nested(path) {
  const parts = path.split('/').filter(Boolean);
  return Object.fromEntries(parts.map((_, i) => [parts.slice(0, i + 1).join('/'), i === parts.length - 1 ? 'file' : 'dir']));
}

/** What each archive leaves inside the target when lenient (resolution beneath the root). */
const inside = (canary) => ({
  'dotdot': {},
  'dotdot-twice': {},
  'dotdot-inside-path': {},
  'dotdot-dir': {},
  'overwrite-victim': {},
  // absolute paths land inside the root dir
  'absolute': nested(`${canary}/x`),
  'absolute-passwd': nested(`${canary}/passwd`),
  // a symlink in a parent path is followed as if the root dir were /: it stays inside
  'symlink-root-then-write': { a: 'symlink', ...nested(`${canary}/x`) },
  'symlink-up-then-write': { a: 'symlink', x: 'file' },
  'symlink-dir-then-victim': { a: 'symlink', victim: 'file' },
  'hardlink-victim': {},
  'hardlink-passwd': {},
  // the file replaces the symlink instead of writing through it
  'symlink-victim-then-file': { a: 'file' },
  'symlink-passwd-then-file': { 'etc': 'dir', 'etc/passwd': 'file', p: 'file' },
  'hardlink-to-symlink': { h: 'file', s: 'symlink' },
});
const insideOf = (as, via, name) => (via === 'walk' && REFUSED_BY_WALK.has(name) ? { a: 'symlink' } : inside(canaryOf(as, via, true))[name]);
const refused = (via, name) => REFUSED.has(name) || (via === 'walk' && REFUSED_BY_WALK.has(name));

for (const as of ['root', 'nobody']) {
  for (const via of VIAS) {
    for (const name of HOSTILE_NAMES) {
      test(`${as} ${via}: ${name}: nothing outside the target changes, strict or lenient`, async (t) => {
        for (const lenient of [false, true]) {
          const r = (await resultsOf(as, via, lenient))[name];
          t.truthy(r, `scenario ran ${name}`);
          t.deepEqual(r.after, r.before, 'every entry of the parent dir outside the target is unchanged');
          t.true(Object.keys(r.before).includes('a/b/victim') && Object.keys(r.before).includes('victim'), 'the victims were there');
          t.deepEqual(r.hostAfter, r.hostBefore, 'the canary is unchanged and no <canary>/x appeared');
          t.not(r.hostBefore[0], null, 'the canary was there');
          t.is(r.hostAfter[1], null);
        }
      });

      test(`${as} ${via}: ${name}: strict fails naming the refused entry; lenient warns and leaves what is listed`, async (t) => {
        const strict = (await resultsOf(as, via, false))[name];
        if (refused(via, name)) {
          const error = via === 'plugin' ? strict.error?.cause : strict.error;
          t.is(error?.kind, 'unpack', JSON.stringify(strict.error ?? strict.value));
          const entry = hostileArchives(canaryOf(as, via, false))[name].find((e) => error.path === e.name);
          t.truthy(entry, `the error names an entry of the archive: ${error.path}`);
          t.regex(error.message, /cannot apply/);
        } else t.is(strict.error, undefined, JSON.stringify(strict.error));

        const r = (await resultsOf(as, via, true))[name];
        t.log(`inside: ${JSON.stringify(Object.fromEntries(Object.entries(r.inside).map(([p, e]) => [p, e.type === 'symlink' ? `-> ${e.target}` : e.type === 'file' ? `${e.size} bytes` : e.type])))}`);
        t.is(r.error, undefined, JSON.stringify(r.error));
        t.deepEqual(Object.fromEntries(Object.entries(r.inside).map(([p, e]) => [p, e.type])), insideOf(as, via, name));
        for (const [path, entry] of Object.entries(r.inside)) if (entry.type === 'file') t.not(entry.nlink, 2, `${path} is no hardlink to something else`);
        t.is(r.value.warnings > 0, refused(via, name), 'exactly the refused entries are warned about');
        for (const w of r.value.warningList) t.true(hostileArchives(canaryOf(as, via, true))[name].some((e) => e.name === w.path), `the warning names its entry: ${w.path}`);
      });
    }

    test(`${as} ${via}: a file written over a symlink holds the archive's data, and the symlink's target keeps its own`, async (t) => {
      const all = await resultsOf(as, via, true);
      const over = all['symlink-passwd-then-file'].inside;
      t.is(over.p.size, Buffer.byteLength('pwned: written over p -> /etc/passwd'));
      t.is(over['etc/passwd'].size, Buffer.byteLength('layer passwd\n'), "the layer's own /etc/passwd was not written through p");
      t.is(all['symlink-victim-then-file'].inside.a.size, Buffer.byteLength('pwned: written over a -> ../victim'));
    });
  }
}
