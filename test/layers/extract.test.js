// The layer extractor called directly (no sandbox), as root and as nobody: strictness,
// names kept byte for byte, maxBytes, a full disk, whiteouts, GNU and PAX archives
// compared with GNU tar's own extraction, zstd, digests.
import test from 'ava';

import { makeTempDir, removeDir } from '../helpers/fs.js';
import { runScenario, scenario } from '../fixtures/layers/helpers.js';

const USERS = ['root', 'nobody'];
const memo = new Map();
const once = (as, name, arg = {}) => {
  const key = `${as} ${name} ${JSON.stringify(arg)}`;
  if (!memo.has(key)) memo.set(key, scenario(as, name, arg));
  return memo.get(key);
};

for (const as of USERS) {
  test(`${as}: './', '.' and '/' entries leave the target dir's mode and owner alone`, async (t) => {
    const r = await once(as, 'dotEntry');
    t.is(r.error, undefined, JSON.stringify(r.error));
    t.deepEqual(r.after, r.before);
    t.is(r.before[0] & 0o7777, 0o750);
    t.deepEqual(Object.keys(r.tree), ['f']);
    t.is(r.value.entries, 4);
  });

  test(`${as}: names that are not UTF-8 are kept byte for byte and do not collide`, async (t) => {
    const r = await once(as, 'invalidUtf8');
    t.is(r.error, undefined, JSON.stringify(r.error));
    const hex = (s) => Buffer.from(s, 'latin1').toString('hex');
    t.deepEqual(r.top, [hex('d\xc3'), hex('f\xfe'), hex('f\xff'), hex('l\xff')].sort());
    t.deepEqual(r.inD, [hex('g\x80')]);
    t.deepEqual(r.contents, ['ff', 'fe']);
  });

  test(`${as}: a gzip bomb stops at maxBytes with a typed error`, async (t) => {
    const r = await once(as, 'bomb');
    t.true(r.compressed < 200_000, `the bomb is small: ${r.compressed}`);
    t.is(r.error?.kind, 'unpack', JSON.stringify(r.error ?? r.value));
    t.is(r.error.code, 'MAX_BYTES');
    t.regex(r.error.message, /larger than maxBytes/);
    t.true(r.written === null || r.written <= 5 << 20, `at most about maxBytes written: ${r.written}`);
  });

  test(`${as}: whiteouts remove lower entries, an opaque dir keeps only this layer's entries, no .wh. file is left`, async (t) => {
    const r = await once(as, 'whiteouts');
    t.is(r.first.error, undefined, JSON.stringify(r.first.error));
    t.is(r.second.error, undefined, JSON.stringify(r.second.error));
    t.truthy(r.lowerTree['a/old'] && r.lowerTree['gone/z'] && r.lowerTree['opq/sub/deeper/l3']);
    t.deepEqual(Object.keys(r.tree).sort(), ['a', 'a/keep', 'd', 'd/x', 'opq', 'opq/new', 'opq/sub', 'opq/sub/new2'].sort());
    t.is(r.tree['opq'].mode, '750', "the opaque dir's own entry applies");
    t.is(r.second.value.whiteouts, 5);
    t.is(r.second.value.compression, 'gzip');
  });

  for (const [format, compress] of [['gnu', false], ['pax', false], ['pax', true]]) {
    test(`${as}: a GNU tar --format=${format}${compress ? ' --zstd' : ''} archive (long names, long link targets, hardlinks${format === 'pax' ? ', xattrs' : ''}) gives GNU tar's tree`, async (t) => {
      const r = await once(as, 'gnuTar', { format, compress });
      t.is(r.error, undefined, JSON.stringify(r.error));
      t.deepEqual(r.tree, r.gnuTree);
      t.true(Object.keys(r.tree).some((p) => p.length > 250), 'names past 100 bytes');
      t.is(r.tree['short'].mode, '4711');
      t.is(r.tree[`${'h'.repeat(110)}`].nlink, 2);
      t.is(r.value.compression, compress ? 'zstd' : 'none');
      if (format === 'pax') t.deepEqual(r.xattr, [Buffer.from('\x00bin\xffary', 'latin1').toString('hex'), Buffer.from('\x00bin\xffary', 'latin1').toString('hex')]);
    });
  }

  test(`${as}: full disk: ENOSPC fails the call naming the file, lenient or not`, async (t) => {
    const dir = makeTempDir('reexecer-full-', 0o777);
    t.teardown(() => removeDir(dir));
    // A 1 MiB tmpfs in a mount namespace of its own (with a user namespace as nobody).
    const prefix = ['unshare', as === 'root' ? '-m' : '-Urm', 'sh', '-c', 'mount -t tmpfs -o size=1m,mode=0777 tmpfs "$0" && exec "$@"', dir];
    for (const lenient of [false, true]) {
      const r = await runScenario('fullDisk', { dir, lenient }, { as, prefix });
      t.is(r.error?.kind, 'unpack', JSON.stringify(r.error ?? r.value));
      t.is(r.error.code, 'ENOSPC');
      t.is(r.error.path, 'two');
      t.regex(r.error.message, /"two"/);
      t.is(r.tree.one.size, 700 << 10);
      t.is(r.tree.three, undefined, 'nothing after the failed entry');
    }
  });
}

for (const as of USERS) {
  test(`${as}: a directory it may not write into: strict fails with EACCES naming the entry; lenient writes the rest and names it`, async (t) => {
    const strict = await once(as, 'eacces');
    t.is(strict.error?.kind, 'unpack', JSON.stringify(strict.error ?? strict.value));
    t.is(strict.error.code, 'EACCES');
    t.is(strict.error.path, 'ro/x');
    t.deepEqual(Object.keys(strict.tree).sort(), ['a', 'ro']);
    const lenient = await once(as, 'eacces', { lenient: true });
    t.is(lenient.error, undefined);
    t.deepEqual(Object.keys(lenient.tree).sort(), ['a', 'b', 'ro']);
    t.is(lenient.value.warnings, 1);
    t.like(lenient.value.warningList[0], { path: 'ro/x', code: 'EACCES', op: 'open' });
  });
}

test('digests: the right ones pass; a wrong diffId or blob digest fails with DIGEST_MISMATCH', async (t) => {
  const good = await once('root', 'digests', {});
  t.is(good.error, undefined);
  const { digest, diffId } = good.value;
  t.regex(digest, /^sha256:[0-9a-f]{64}$/);
  t.not(digest, diffId);
  t.is((await once('root', 'digests', { digest, diffId })).error, undefined);
  const wrong = `sha256:${'0'.repeat(64)}`;
  for (const arg of [{ digest: wrong, diffId }, { digest, diffId: wrong }]) {
    const r = await once('root', 'digests', arg);
    t.is(r.error?.kind, 'unpack');
    t.is(r.error.code, 'DIGEST_MISMATCH');
  }
  const bad = await once('root', 'digests', { diffId: 'md5:00' });
  t.is(bad.error?.kind, 'invalid-options');
  t.deepEqual([good.value.digest, good.value.diffId], [good.expected.digest, good.expected.diffId]);
  const plain = await once('root', 'digests', { plain: true, diffId: 'right', hash: false });
  t.is(plain.error, undefined, 'a plain layer checked against its diff_id alone');
  t.is(plain.value.diffId, plain.expected.diffId);
  const plainWrong = await once('root', 'digests', { plain: true, diffId: wrong, hash: false });
  t.is(plainWrong.error?.code, 'DIGEST_MISMATCH');
  const first = await once('root', 'digests', { dotdot: true, diffId: 'right' });
  t.like(first.error, { kind: 'unpack', path: '../x', step: 'refuse-dotdot' }, 'the failed entry is the error, not the digest of what was read');
});
