// Prewarmed one-shot pools (issue 9): children started ahead of calls in the plugin's
// declared environment, each serving exactly one call. Root in this worker, nobody and the
// CI user (subids, newuidmap) in node processes under setpriv.
import test from 'ava';

import { scenarioRunners } from '../helpers/scenario-runners.js';
import { HERE } from '../fixtures/plugins/helpers.js';

const { runScenario } = scenarioRunners(`${HERE}/prewarm-scenarios.js`);

for (const as of ['root', 'nobody']) {
  test(`${as}: warm calls get their own args, files, chroot and stdin, one call per child, and another environment runs cold`, async (t) => {
    const r = await runScenario('warmCalls', {}, { as });
    t.is(r.idle.length, 2, 'two idle children once warmed() resolved');
    t.true(r.first.warm);
    t.true(r.second.warm);
    t.true(r.idle.includes(r.first.value.pid) && r.idle.includes(r.second.value.pid), 'both calls were served by the idle children');
    t.not(r.first.value.pid, r.second.value.pid, 'one call per child');
    for (const call of [r.first, r.second, r.otherEnv, r.otherHost]) {
      t.is(call.value.calls, 1, 'the module-level counter is 1 on every call: no state carried over');
      t.is(call.value.constructed, 1, 'the plugin class is constructed for the call only, never by the warm-up');
      t.deepEqual(call.value.root, ['marker'], 'chrooted into the call’s directory');
      t.is(call.exitCode, 0);
    }
    t.deepEqual(r.first.value.args, ['one', 'two words']);
    t.deepEqual(r.first.value.files, [{ path: r.file, content: 'file content\n' }]);
    t.is(r.first.stdout, 'out:one,two words');
    t.is(r.first.value.hostname, 'prewarmed');
    t.is(r.first.value.uid, 0, 'root in the plugin’s user namespace');
    t.is(r.second.value.stdin, 'from the caller');
    t.deepEqual(r.second.value.args, ['stdin', '300000 x: true'], 'a job larger than one message arrives whole');
    t.deepEqual(r.second.value.files, [{ path: r.file, content: 'file content\n' }], 'the fds came with the first part of a job sent in parts');
    t.false(r.otherEnv.warm, 'a call with its own env runs cold');
    t.false(r.otherHost.warm, 'a call with another hostname runs cold');
    t.is(r.otherHost.value.hostname, 'elsewhere');
    t.deepEqual(
      r.logged.map((l) => l.pid),
      [r.first.value.pid, r.second.value.pid, r.otherEnv.value.pid, r.otherHost.value.pid],
      'each child’s log line was relayed with its pid',
    );
    t.is(r.warmUpLines, 0, 'nothing of the idle children’s warm-up reached the host’s logger');
    t.deepEqual(r.servedGone, [], 'every child that served a call exited');
    t.deepEqual(r.leftAfterDispose, [], 'Symbol.asyncDispose killed the refilled idle children');
  });

  test(`${as}: a warm call’s timeoutMs and signal kill its child`, async (t) => {
    const r = await runScenario('warmDeadlines', {}, { as });
    t.is(r.timeout?.kind, 'timeout');
    t.is(r.abort?.kind, 'aborted');
    t.deepEqual(r.stillAlive, [], 'the children that served them are gone');
  });

  test(`${as}: the pool refills after a call, close() leaves no child, later calls run cold`, async (t) => {
    const r = await runScenario('refillAndClose', {}, { as });
    t.is(r.before.length, 1);
    t.true(r.call.warm);
    t.is(r.call.value.pid, r.before[0]);
    t.is(r.after.length, 1, 'refilled');
    t.not(r.after[0], r.before[0]);
    t.true(r.again.warm);
    t.is(r.again.value.pid, r.after[0], 'the refilled child served the next call');
    t.is(r.idle.length, 1);
    t.deepEqual(r.idleGone, [], 'close() waited for the idle child’s exit');
    t.deepEqual(r.leftAfterClose, []);
    t.false(r.cold.warm);
    t.is(r.cold.value.calls, 1);
  });

  test(`${as}: idle children die with the host`, async (t) => {
    const r = await runScenario('hostDeath', {}, { as });
    t.is(r.idle.length, 2);
    t.deepEqual(r.stillAlive, []);
  });

  test(`${as}: a pool whose children fail at import stops and says why in warmed() and the next call`, async (t) => {
    const r = await runScenario('importFails', {}, { as });
    t.is(r.warmed?.kind, 'plugin-threw');
    t.regex(r.warmed.message, /stopped refilling after 3 failed starts/);
    t.regex(r.warmed.message, /this plugin refuses to load in the child/);
    t.is(r.call?.kind, 'plugin-threw');
    t.regex(r.call.message, /this plugin refuses to load in the child/);
    t.deepEqual(r.left, []);
  });

  test(`${as}: the sandbox layer’s newReexecer(logger, { prewarm }) serves a call warm`, async (t) => {
    const r = await runScenario('sandboxLayer', {}, { as });
    t.is(r.idle.length, 1);
    t.is(r.out, `hi ${r.servedBy}`);
    t.true(r.idle.includes(r.servedBy), 'the idle child served the call');
    t.is(r.warmUpLines, 0, 'its warm-up (a dry run logging to /dev/null) reached nothing of the host');
    t.deepEqual(r.servedGone, [], 'and exited');
    t.deepEqual(r.left, []);
  });
}

test('ci: a map newuidmap refuses stops the pool, and warmed() and the next call say why', async (t) => {
  const r = await runScenario('mapRefused', {}, { as: 'ci' });
  t.is(r.warmed?.kind, 'mapping');
  t.regex(r.warmed.message, /stopped refilling/);
  t.is(r.call?.kind, 'mapping');
  t.regex(r.call.message, /newuidmap/);
  t.deepEqual(r.left, []);
});

test('prewarm: an unknown id or a count that is not 0..64 is refused before anything starts', async (t) => {
  const { Reexecer } = await import('reexecer');
  const { newReexecer } = await import('reexecer/sandbox');
  const { captureLogger } = await import('../fixtures/plugins/helpers.js');
  const logger = captureLogger('info').logger;
  const unknown = await t.throwsAsync(Reexecer.create({ logger, prewarm: { 'no-such-plugin': 1 } }));
  t.is(unknown.kind, 'unregistered');
  t.regex(unknown.message, /no-such-plugin/);
  t.is(t.throws(() => newReexecer(logger, { prewarm: { 'warm-hi-unused': 1 } })).kind, 'unregistered');
  const { register } = await import('reexecer/sandbox');
  register('prewarm-count-probe', () => undefined);
  for (const count of [-1, 1.5, 65, '2']) {
    const error = t.throws(() => newReexecer(logger, { prewarm: { 'prewarm-count-probe': count } }));
    t.is(error.kind, 'invalid-options');
    t.regex(error.message, /prewarm/);
    const create = await t.throwsAsync(Reexecer.create({ logger, prewarm: { 'prewarm-count-probe': count } }));
    t.is(create.kind, 'invalid-options');
  }
  const shape = t.throws(() => newReexecer(logger, { prewarm: { 'prewarm-count-probe': { count: 1, cloneUsers: true } } }));
  t.regex(shape.message, /unknown key "cloneUsers"/);
});
