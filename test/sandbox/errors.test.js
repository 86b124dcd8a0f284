// Failures reject with a ReexecError of the right kind: the action throws, the child is
// killed, times out, is aborted; the options are wrong (chroot dir, extra files) before
// anything is spawned; the kernel refuses the user namespace; nobody may not chroot.
import test from 'ava';

import { runScenario, scenario } from '../fixtures/sandbox/helpers.js';

const USERS = ['root', 'nobody'];

for (const as of USERS) {
  test(`${as}: an action that throws → plugin-threw, with the child's stack and own fields in cause`, async (t) => {
    const { error, value } = await scenario(as, 'throws');
    t.is(value, undefined);
    t.true(error.isReexecError);
    t.is(error.kind, 'plugin-threw');
    t.regex(error.message, /boom from the action/);
    t.is(error.code, 'EBOOM');
    t.is(error.cause.name, 'Error');
    t.is(error.cause.message, 'boom from the action');
    t.regex(error.cause.stack, /^Error: boom from the action\n/);
    t.regex(error.cause.stack, /test\/fixtures\/sandbox\/actions\.js:\d+/, "the stack is the child's, at the throw");
    t.is(error.cause.code, 'EBOOM');
    t.deepEqual(error.cause.detail, { n: 1 });
  });

  test(`${as}: the thrown error's class name and the child's stderr come back`, async (t) => {
    const { error } = await scenario(as, 'throwsWithStderr');
    t.is(error.kind, 'plugin-threw');
    t.is(error.cause.name, 'TypeError');
    t.regex(error.message, /typed failure/);
    t.is(error.stderr, 'something on stderr\n');
  });

  test(`${as}: throwing a non-Error → plugin-threw with its text`, async (t) => {
    const { error } = await scenario(as, 'throwsString');
    t.is(error.kind, 'plugin-threw');
    t.regex(error.message, /a plain string/);
  });

  test(`${as}: an action that exits before reporting → plugin-threw with the exit code and stderr`, async (t) => {
    const { error } = await scenario(as, 'exitCode', { code: 3 });
    t.is(error.kind, 'plugin-threw');
    t.is(error.exitCode, 3);
    t.is(error.stderr, 'leaving early\n');
    t.regex(error.message, /exited with code 3/);
    t.regex(error.message, /leaving early/);
  });

  for (const signal of ['SIGKILL', 'SIGTERM']) {
    test(`${as}: killed by ${signal} → killed, with the signal`, async (t) => {
      const { error } = await scenario(as, 'killSelf', { signal });
      t.is(error.kind, 'killed');
      t.is(error.signal, signal);
      t.is(error.exitCode, null);
      t.regex(error.message, new RegExp(signal));
    });
  }

  test(`${as}: timeoutMs → timeout, and the child is gone`, async (t) => {
    // In a process of its own, so that "no child left" sees only this call's. Whether the
    // child logged before the timer fired depends on the machine's load: when it did, its
    // pid is checked too.
    const r = await runScenario('timeout', { timeoutMs: 3000 }, { as });
    t.is(r.error?.kind, 'timeout');
    t.regex(r.error.message, /timed out after 3000 ms/);
    t.deepEqual(r.leftChildren, [], 'no process (nor a zombie) is left once reexec rejected');
    if (r.seenAlive) {
      t.is(r.childPid, r.pid, 'the pid binding is the sleeping child');
      t.true(r.goneAfter);
    }
  });

  test(`${as}: an AbortSignal → aborted, with its reason as cause, and the child is gone`, async (t) => {
    const r = await scenario(as, 'abort');
    t.is(r.error?.kind, 'aborted');
    t.is(r.error.cause?.message, 'stop it');
    t.true(r.seenAlive);
    t.true(r.goneAfter);
  });

  test(`${as}: an already aborted signal → aborted`, async (t) => {
    const r = await scenario(as, 'abortBefore');
    t.is(r.error?.kind, 'aborted');
    t.is(r.error.cause?.message, 'already');
  });

  test(`${as}: a missing chrootDir → chroot`, async (t) => {
    const { error } = await scenario(as, 'chrootMissing');
    t.is(error.kind, 'chroot');
    t.regex(error.message, /missing: no such file or directory/);
  });

  test(`${as}: a chrootDir that is a file → chroot`, async (t) => {
    const { error } = await scenario(as, 'chrootNotDir');
    t.is(error.kind, 'chroot');
    t.regex(error.message, /is not a directory/);
  });

  test(`${as}: a directory in extraFiles is refused, with a clear message`, async (t) => {
    const { error, sub } = await scenario(as, 'extraDir', { allowDirectories: false });
    t.is(error.kind, 'invalid-options');
    t.true(error.message.includes(`${sub} is a directory`));
    t.regex(error.message, /allowDirectories/);
  });

  test(`${as}: with allowDirectories the directory is passed`, async (t) => {
    const { error, value, sub } = await scenario(as, 'extraDir', { allowDirectories: true });
    t.is(error, undefined);
    t.deepEqual(JSON.parse(value), [{ fd: 5, path: sub, isDirectory: true }]);
  });

  test(`${as}: a directory in extraFiles is refused with a chroot too`, async (t) => {
    const { error } = await scenario(as, 'extraDir', { allowDirectories: false, chroot: true });
    t.is(error.kind, 'invalid-options');
  });

  test(`${as}: an unknown id → unregistered`, async (t) => {
    const { error } = await scenario(as, 'unregistered', { id: 'never-registered' });
    t.is(error.kind, 'unregistered');
    t.is(error.message, 'unregistered command: never-registered');
  });

  test(`${as}: an id the module does not register in the child → unregistered`, async (t) => {
    const { error, value } = await scenario(as, 'parentOnly');
    t.is(value, undefined);
    t.is(error.kind, 'unregistered');
    t.regex(error.message, /^unregistered command: parent-only/);
    t.regex(error.message, /conditional\.js/);
  });

  test(`${as}: a module that fails to import in the child → plugin-threw with the import hint`, async (t) => {
    const { error } = await scenario(as, 'importFails');
    t.is(error.kind, 'plugin-threw');
    t.regex(error.message, /refuses to load in the child/);
    t.is(error.cause.code, 'EIMPORT');
    t.regex(error.hint, /importable before the chroot/);
  });

  test(`${as}: the kernel refusing the user namespace → userns-unavailable, with a hint naming max_user_namespaces`, async (t) => {
    // The fixture is root of its own user namespace (unshare -U -r), sets that namespace's
    // user.max_user_namespaces to 0, then asks for cloneUserns.
    const r = await runScenario('usernsUnavailable', { ownIdIsHostRoot: as === 'root' }, { as, prefix: ['unshare', '-U', '-r', '--'] });
    t.is(r.after, '0');
    t.is(r.refused.value, undefined);
    t.is(r.refused.error.kind, 'userns-unavailable');
    t.regex(r.refused.error.message, /max_user_namespaces/);
    t.regex(r.refused.error.hint, /max_user_namespaces/);
    t.is(r.control.value, 'Hi from action!', 'without cloneUserns the same reexecer still works');
  });
}

test('nobody: chroot without cloneUserns → chroot, mentioning EPERM and the hint', async (t) => {
  const r = await scenario('nobody', 'chroot', { cloneUserns: false });
  t.is(r.parent.uid, 65534);
  t.is(r.value, undefined);
  t.is(r.error.kind, 'chroot');
  t.is(r.error.code, 'EPERM');
  t.regex(r.error.message, /EPERM/);
  t.regex(r.error.message, /CAP_SYS_CHROOT/);
  t.regex(r.error.hint, /cloneUserns/);
});

test('root: failed option checks and an unknown id spawn nothing (ns_last_pid of a PID namespace)', async (t) => {
  const r = await runScenario('spawnsNothing', {}, { prefix: ['unshare', '--pid', '--fork', '--mount-proc', '--'] });
  t.is(r.inPidNs, 1, 'the fixture is pid 1 of its own PID namespace');
  t.like(r.unregistered, { kind: 'unregistered', message: 'unregistered command: no-such-action', created: 0 });
  t.like(r.chrootMissing, { kind: 'chroot', created: 0 });
  t.like(r.chrootNotDir, { kind: 'chroot', created: 0 });
  t.like(r.missingExtraFile, { kind: 'invalid-options', created: 0 });
  t.regex(r.missingExtraFile.message, /no such file or directory/);
  t.like(r.extraDir, { kind: 'invalid-options', created: 0 });
  // The control: a reexec that does spawn moves ns_last_pid.
  t.is(r.success.value, 'Hi from action!');
  t.true(r.success.created > 0);
});

test('root: maxBuffer must be a positive integer → invalid-options', async (t) => {
  for (const maxBuffer of [0, -1, 1.5]) {
    const { error } = await scenario('root', 'invalidMaxBuffer', { maxBuffer });
    t.is(error?.kind, 'invalid-options', `maxBuffer ${maxBuffer}`);
  }
});

test('root: a grandchild that keeps the child\'s stdout open does not hang reexec', async (t) => {
  const r = await scenario('root', 'leaveGrandchild');
  t.is(r.error, undefined);
  t.regex(r.value, /^\d+\n$/);
});
