// The child holds exactly fds 0, 1, 2 and the passed extra fds, though its parent holds
// inheritable (not close-on-exec) fds it never asked to pass.
import test from 'ava';

import { STRAY_FDS, runScenario } from '../helpers/native.js';

for (const as of ['root', 'nobody', 'ci']) {
  for (const namespaces of [[], ['user', 'mount', 'pid']]) {
    test(`${as}, namespaces [${namespaces}]: /proc/<child>/fd holds exactly 0,1,2 and the extra fds`, async (t) => {
      const r = await runScenario('fds', { namespaces }, { as, shellFds: true });
      // The precondition that makes this test mean something.
      for (const fd of STRAY_FDS) t.like(r.inherited[fd], { cloexec: false }, `the parent holds fd ${fd} without close-on-exec`);
      t.is(r.ready, 'ready');
      t.deepEqual(Object.keys(r.childFds).map(Number).sort((a, b) => a - b), [0, 1, 2, 3, 4]);
      t.regex(r.childFds[0], /^pipe:/);
      t.regex(r.childFds[1], /^pipe:/);
      t.regex(r.childFds[2], /^pipe:/);
      t.regex(r.childFds[3], /^socket:/, "extraFds 'pipe' is a socketpair");
      t.is(r.childFds[4], r.passedTarget, 'the passed fd is the same file');
      t.is(r.rest, 'got hello\n', 'stdin reached the child');
      t.is(r.stderr, '');
      t.is(r.exit.exitCode, 0);
      t.deepEqual(r.extraFdsShape, ['function', null], "the handle holds a socket for 'pipe' and null for a passed fd");
    });
  }
}
