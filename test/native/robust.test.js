// Hostile and careless uses of the native layer that once aborted or froze the host: each
// scenario runs in a fresh node process as root and as nobody, and must end with a typed
// error (or a correct result), never SIGABRT, never a hang.
import test from 'ava';

import { FIXTURES } from '../helpers/native.js';
import { scenarioRunners } from '../helpers/scenario-runners.js';

const { runScenario } = scenarioRunners(`${FIXTURES}/robust.js`);

for (const as of ['root', 'nobody']) {
  test(`${as}: a signal that is not an AbortSignal is invalid-options, before any child is cloned`, async (t) => {
    const r = await runScenario('bogusSignal', {}, { as });
    for (const e of r.results) t.like(e, { isReexecError: true, kind: 'invalid-options' });
    t.regex(r.results[0].message, /signal must be an AbortSignal/);
    t.deepEqual(r.leaked, [], 'no child was left behind');
    t.is(r.fdGrowth, 0);
  });

  test(`${as}: an exit callback that throws is an uncaught exception, not an abort`, async (t) => {
    const r = await runScenario('throwingExitCallback', {}, { as });
    t.is(r.caught, 'thrown by the exit callback');
  });

  for (const namespaces of [[], ['user']]) {
    test(`${as}: worker.terminate() kills and reaps the worker's child (${namespaces.join(',') || 'no namespace'})`, async (t) => {
      const r = await runScenario('workerTerminate', { namespaces }, { as });
      t.true(r.aliveBefore);
      t.true(r.goneAfter, 'the child is reaped, not a zombie');
      t.deepEqual(r.leaked, []);
      t.is(r.fdGrowth, 0);
      t.deepEqual(r.warnings, [], 'no "closed but not opened in unmanaged mode" warning from the spawns');
    });
  }

  test(`${as}: chroot, pivotRoot, sethostname, mountProc and installSeccomp refuse to act on the host`, async (t) => {
    const r = await runScenario('inChildOutsideSandbox', {}, { as });
    for (const op of ['chroot', 'pivotRoot', 'sethostname', 'mountProc', 'installSeccomp']) {
      t.like(r.attempts[op], { isReexecError: true, kind: 'outside-sandbox' }, op);
      t.regex(r.attempts[op].message, new RegExp(`${op}: refused outside a sandboxed child`), op);
    }
    t.true(r.rootUnchanged);
    t.true(r.mountsUnchanged, 'pivotRoot made no mount private');
    t.true(r.hostnameUnchanged);
    t.true(r.procEmpty);
    t.true(r.unfiltered, 'no seccomp filter on the host');
  });

  test(`${as}: the stacks of children cloned with CLONE_VM are freed once they exec'd, failed or were killed`, async (t) => {
    const r = await runScenario('sharedSpawnsReleased', {}, { as });
    t.true(r.growth < 20, `the host's mappings grew by ${r.growth} over 120 spawns`);
    t.deepEqual(r.leaked, []);
  });

  for (const how of ['timeout', 'abort']) {
    test(`${as}: a child stopped between clone and exec does not freeze the host; ${how} ends it`, async (t) => {
      const r = await runScenario('stoppedBeforeExec', { how }, { as });
      t.like(r.error, { isReexecError: true, kind: how === 'timeout' ? 'timeout' : 'aborted' }, JSON.stringify(r));
      t.regex(r.error.message, /while the child's exec was awaited/);
      t.true(r.ticks > 0, 'timers ran while the exec was awaited');
      t.deepEqual(r.leaked, []);
      t.is(r.fdGrowth, 0);
    });

    test(`${as}: an idMapper that never settles is ended by ${how}`, async (t) => {
      const r = await runScenario('neverMapper', { how }, { as });
      t.like(r.error, { isReexecError: true, kind: how === 'timeout' ? 'timeout' : 'aborted' });
      t.deepEqual(r.leaked, []);
      t.is(r.fdGrowth, 0);
    });
  }

  test(`${as}: a child that exited before its timer fired is not timed out`, async (t) => {
    const r = await runScenario('exitBeforeTimer', {}, { as });
    t.like(r.exit, { exitCode: 0, signal: null, timedOut: false, aborted: false });
  });

  test(`${as}: a bare name not on PATH is ENOENT, not ./name from the cwd`, async (t) => {
    const r = await runScenario('bareNameInCwd', {}, { as });
    t.like(r.error, { isReexecError: true, kind: 'spawn', code: 'ENOENT' });
    t.false(r.ran);
  });

  test(`${as}: an explicit cwd the mapped user cannot enter fails with a hint`, async (t) => {
    const r = await runScenario('cwdNotEnterable', {}, { as });
    t.like(r.error, { isReexecError: true, kind: 'spawn', step: 'chdir', code: 'EACCES' });
    t.regex(r.hint, /cannot enter the cwd/);
  });
}
