// The in-child operations (chroot, pivotRoot, capEff, mountProc, sethostname) act on the
// calling process, so each runs in a spawned node child (test/fixtures/native/in-child.js)
// inside user + mount (+ pid / uts) namespaces, as root and as nobody.
import test from 'ava';

import { fullCapMask, scenario } from '../helpers/native.js';

for (const as of ['root', 'nobody']) {
  for (const op of ['chroot', 'pivotRoot']) {
    test(`${as}: ${op}(dir) is seen by sync fs calls and by the threadpool`, async (t) => {
      const r = await scenario(as, 'inChild', { op, namespaces: ['user', 'mount'] });
      t.is(r.exit.exitCode, 0, r.stderr);
      t.truthy(r.result, r.stdout);
      t.deepEqual(r.result.sync, ['marker'], 'fs.readdirSync("/")');
      t.deepEqual(r.result.async, ['marker'], 'fs.promises.readdir("/") on the threadpool');
      t.is(r.result.markerSync, 'inside');
      t.is(r.result.markerAsync, 'inside');
      t.deepEqual(r.result.relative, ['marker'], 'the kernel cwd is the new root');
      t.is(r.result.cwd, '/', 'process.cwd() is the new root');
      t.is(r.result.capAfter, fullCapMask());
    });
  }

  test(`${as}: chroot into a missing directory fails with kind chroot and ENOENT, the root unchanged`, async (t) => {
    const r = await scenario(as, 'inChild', { op: 'chrootMissing' });
    t.is(r.exit.exitCode, 0, r.stderr);
    t.like(r.result.error, { isReexecError: true, kind: 'chroot', step: 'chroot', code: 'ENOENT', message: 'chroot failed: ENOENT' });
    t.true(r.result.stillHost);
  });

  test(`${as}: capEff() is the full set as namespace root`, async (t) => {
    const r = await scenario(as, 'inChild', { op: 'capEff' });
    t.is(r.exit.exitCode, 0, r.stderr);
    t.is(r.result.type, 'bigint');
    t.is(r.result.capEff, fullCapMask());
    t.is(r.result.capEff, r.result.statusCapEff);
  });

  test(`${as}: mountProc in PID + mount namespaces shows the child as pid 1`, async (t) => {
    const r = await scenario(as, 'inChild', { op: 'mountProc', namespaces: ['user', 'mount', 'pid'] });
    t.is(r.exit.exitCode, 0, r.stderr);
    t.is(r.result.pid, 1);
    t.is(r.result.self, '1');
    t.deepEqual(r.result.pids, [1], 'only this namespace\'s processes');
    t.is(r.result.cmdline1, r.result.execPath);
  });

  test(`${as}: sethostname in a UTS namespace`, async (t) => {
    const r = await scenario(as, 'inChild', { op: 'sethostname', namespaces: ['user', 'mount', 'uts'] });
    t.is(r.exit.exitCode, 0, r.stderr);
    t.deepEqual(r.result, { before: 'before-op', after: 'after-op' });
    t.not(r.parent.hostname, 'after-op');
  });
}
