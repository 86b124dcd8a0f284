// reexecer image-unpack (API and CLI) on an image built by umoci from a real tree with a
// second layer of deletions and changes, compared with `umoci unpack --rootless`'s own tree;
// as root (a 65536-id range), nobody (self map: strict fails on other owners, lenient goes
// on) and the CI user (--subids). Digest mismatches, a non-empty rootfs.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import test from 'ava';

import { imageUnpack } from 'reexecer';

import { makeTempDir, removeDir } from '../helpers/fs.js';
import { ciUser, NOBODY } from '../helpers/users.js';
import { scenario } from '../fixtures/layers/helpers.js';
import { OWNED_BY_33, umociImage, umociUnpack, writeLayout } from '../fixtures/layers/oci.js';
import { listTree } from '../fixtures/layers/tree.js';
import { ustar } from '../fixtures/plugins/layers.js';

const RANGE = { uidMappings: [{ namespaceId: 0, hostId: 100000, size: 65536 }], gidMappings: [{ namespaceId: 0, hostId: 100000, size: 65536 }] };
const base = makeTempDir('reexecer-image-', 0o755);
test.after.always(() => removeDir(base));

let built;
/** The umoci image and umoci's own unpack of it, made once. */
function image() {
  built ??= (() => {
    const { layout, ref } = umociImage(base);
    execChmod(layout);
    const expected = listTree(umociUnpack(layout, ref, join(base, 'umoci-bundle')));
    const shared = join(base, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    return { layout, ref, expected, shared };
  })();
  return built;
}
/** umoci writes blobs 0600: the unprivileged runs read them too. */
function execChmod(dir) {
  for (const p of ['', 'blobs', 'blobs/sha256']) chmodSync(join(dir, p), 0o755);
  for (const f of readdirSync(join(dir, 'blobs/sha256'))) chmodSync(join(dir, 'blobs/sha256', f), 0o644);
  for (const f of ['index.json', 'oci-layout']) chmodSync(join(dir, f), 0o644);
}

/** What must match umoci's tree: everything but owners. */
const shape = (tree) => Object.fromEntries(Object.entries(tree).map(([p, { uid: _u, gid: _g, ...rest }]) => [p, rest]));
const nsOwner = (path) => (OWNED_BY_33.includes(path) ? 33 : 0);

test('root: imageUnpack gives umoci unpack --rootless\'s tree (paths, types, modes, sizes, contents, link targets), owners through the map', async (t) => {
  const { layout, ref, expected } = image();
  const rootfs = join(base, 'ours-api');
  const result = await imageUnpack(layout, ref, rootfs, { userns: RANGE });
  t.is(result.layers.length, 2);
  t.true(result.whiteouts >= 2, `the second layer's deletions are whiteouts: ${result.whiteouts}`);
  for (const l of result.layers) t.is(l.digest, l.descriptorDigest);
  const ours = listTree(rootfs);
  t.deepEqual(shape(ours), shape(expected));
  t.false(Object.keys(ours).some((p) => p.includes('.wh.')));
  t.false('doomed' in ours);
  t.false('pino/README.md' in ours);
  t.is(readFileSync(join(rootfs, 'pino/package.json'), 'utf8'), '{"changed": true}\n');
  for (const [path, e] of Object.entries(ours)) {
    t.is(e.uid, 100000 + nsOwner(path), `uid of ${path}`);
    t.is(e.gid, 100000 + nsOwner(path), `gid of ${path}`);
  }
  t.true(Object.keys(ours).length > 150, 'a real tree');
});

test('root: the CLI does the same, exits 1 on a non-empty rootfs', async (t) => {
  const { layout, ref, expected } = image();
  const rootfs = join(base, 'ours-cli');
  const args = [layout, ref, rootfs, '--map-uid', '0:100000:65536', '--map-gid', '0:100000:65536'];
  const r = await scenario('root', 'imageCli', { args, rootfs });
  t.is(r.code, 0, r.stderr);
  t.is(JSON.parse(r.stdout).layers.length, 2);
  t.deepEqual(shape(r.tree), shape(expected));
  const again = await scenario('root', 'imageCli', { args, rootfs });
  t.is(again.code, 1);
  t.regex(again.stderr, /is not empty/);
});

test('nobody: a self map has no id for owner 33: strict exits 1 naming the entry and how to map it; --lenient gives the same tree, all its own', async (t) => {
  const { layout, ref, expected, shared } = image();
  const strictRootfs = join(shared, 'nobody-strict');
  const strict = await scenario('nobody', 'imageCli', { args: [layout, ref, strictRootfs], rootfs: strictRootfs });
  t.is(strict.code, 1, strict.stderr);
  t.regex(strict.stderr, /cannot apply "(pino\/package\.json|srv\/?)": fchown failed: EINVAL/);
  t.regex(strict.stderr, /--subids/);
  const rootfs = join(shared, 'nobody-lenient');
  const r = await scenario('nobody', 'imageCli', { args: [layout, ref, rootfs, '--lenient'], rootfs });
  t.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  t.true(out.warnings >= OWNED_BY_33.length, `each 33-owned entry is a warning: ${out.warnings}`);
  t.is(out.warningList.length, out.warnings);
  for (const w of out.warningList) t.true(OWNED_BY_33.includes(w.path.replace(/\/$/, '')) && w.code === 'EINVAL', JSON.stringify(w));
  t.deepEqual(shape(r.tree), shape(expected));
  for (const [path, e] of Object.entries(r.tree)) t.deepEqual([e.uid, e.gid], [NOBODY.uid, NOBODY.gid], path);
});

test('ci user: --subids maps owner 33 to its subordinate range, strict', async (t) => {
  const { layout, ref, expected, shared } = image();
  const rootfs = join(shared, 'ci-subids');
  const r = await scenario('ci', 'imageCli', { args: [layout, ref, rootfs, '--subids'], rootfs });
  t.is(r.code, 0, r.stderr);
  t.deepEqual(shape(r.tree), shape(expected));
  const { uid } = ciUser();
  for (const [path, e] of Object.entries(r.tree)) t.is(e.uid, nsOwner(path) === 33 ? 200000 + 32 : uid, path);
});

test('digest mismatch: a changed layer byte or a wrong diff_id fails; nothing outside the rootfs changes', async (t) => {
  const layer = ustar([{ name: 'etc/', type: 'dir' }, { name: 'etc/motd', type: 'file', data: 'hello\n' }]);
  const cases = {
    'blob digest': { corrupt: (i, blob) => (blob[blob.indexOf('hello')] ^= 1, blob) },
    'diff_id': { diffIds: [`sha256:${'1'.repeat(64)}`] },
  };
  for (const [name, options] of Object.entries(cases)) {
    const dir = join(base, `mismatch-${name.replace(' ', '-')}`);
    mkdirSync(dir);
    const { layout, ref } = writeLayout(join(dir, 'layout'), [layer], options);
    writeFileSync(join(dir, 'sibling'), 'untouched\n');
    const error = await t.throwsAsync(imageUnpack(layout, ref, join(dir, 'rootfs'), { userns: RANGE }));
    t.is(error.kind, 'unpack', name);
    t.is(error.code, 'DIGEST_MISMATCH', name);
    t.regex(error.message, name === 'diff_id' ? /diff_id/ : /blob digest/);
    t.is(readFileSync(join(dir, 'sibling'), 'utf8'), 'untouched\n');
    t.true(existsSync(join(dir, 'layout/index.json')));
  }
  const good = writeLayout(join(base, 'good-layout'), [layer]);
  const r = await imageUnpack(good.layout, good.ref, join(base, 'good-rootfs'), { userns: RANGE });
  t.is(r.entries, 2);
  const missing = await t.throwsAsync(imageUnpack(good.layout, 'nope', join(base, 'nope-rootfs'), { userns: RANGE }));
  t.is(missing.code, 'NO_SUCH_REF');
  t.false(existsSync(join(base, 'nope-rootfs')), 'nothing made for a bad ref');
});

test('root: on a terminal, image-unpack prints one progress line per layer on stderr; not otherwise', async (t) => {
  const { layout, ref } = image();
  const { run, ROOT } = await import('../helpers/process.js');
  const rootfs = join(base, 'ours-tty');
  const cmd = [process.execPath, join(ROOT, 'dist/cli/main.js'), 'image-unpack', layout, ref, rootfs, '--map-uid', '0:100000:65536', '--map-gid', '0:100000:65536'];
  // script(1) gives the command a pseudo-terminal; its output is the terminal's.
  const r = await run(['script', '-qec', cmd.map((a) => `'${a}'`).join(' '), '/dev/null']);
  t.is(r.code, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /layer 1\/2: \d+ entries, [\d.]+ MB \(gzip\)/);
  t.regex(r.stdout, /layer 2\/2: \d+ entries/);
  const plain = await scenario('root', 'imageCli', { args: [layout, ref, join(base, 'ours-notty'), '--map-uid', '0:100000:65536', '--map-gid', '0:100000:65536'], rootfs: join(base, 'ours-notty') });
  t.is(plain.code, 0);
  t.notRegex(plain.stderr, /layer 1\/2/);
});
