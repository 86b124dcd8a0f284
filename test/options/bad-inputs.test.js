// Every bad input of test/fixtures/options/cases.js, on every layer, as root and as nobody:
// each is refused as invalid-options with a message naming the key (and the right name
// when it is another layer's), before anything is spawned: no process or thread created
// (ns_last_pid of the runner's own PID namespace), no fd left open, no marker of a child.
import { join } from 'node:path';

import test from 'ava';

import { ROOT } from '../helpers/process.js';
import { scenarioRunners } from '../helpers/scenario-runners.js';
import { CASES } from '../fixtures/options/cases.js';

const { runScenario } = scenarioRunners(join(ROOT, 'test/fixtures/options/scenarios.js'));

/** The runner is pid 1 of a PID namespace of its own; as nobody, in a user namespace mapping only itself. */
const PREFIX = {
  root: ['unshare', '--pid', '--fork', '--mount-proc', '--'],
  nobody: ['unshare', '--user', '--map-current-user', '--pid', '--fork', '--mount-proc', '--'],
};

for (const as of ['root', 'nobody']) {
  const report = runScenario('tryAll', {}, { as, prefix: PREFIX[as] });
  report.catch(() => {}); // reported by the tests below

  test(`${as}: the same calls with good options do spawn (the checks below can fail)`, async (t) => {
    const { inPidNs, control } = await report;
    t.is(inPidNs, 1);
    for (const layer of ['call', 'sandbox', 'native']) {
      t.is(control[layer].value, 'ok', `${layer}: ${JSON.stringify(control[layer].error)}`);
      t.true(control[layer].created > 0, `${layer} created a process`);
      t.true(control[layer].marker, `${layer}: the child left its marker`);
    }
  });

  CASES.forEach((c, i) => {
    test(`${as}: ${c.layer}: ${c.what} → invalid-options before anything is spawned`, async (t) => {
      const r = (await report).results[i];
      t.is(r.what, c.what);
      t.is(r.value, undefined, 'refused');
      t.is(r.error?.kind, 'invalid-options', JSON.stringify(r.error));
      t.true(r.error.isReexecError);
      t.regex(r.error.message, c.expect);
      t.is(r.created, 0, 'no process or thread was created');
      t.is(r.fdDelta, 0, 'no fd was left open');
      t.false(r.marker, 'no child ran');
    });
  });
}

test(`the suite tries ${CASES.length} bad inputs through the API (each as root and as nobody)`, (t) => {
  t.true(CASES.length >= 100);
  t.is(new Set(CASES.map((c) => `${c.layer}: ${c.what}`)).size, CASES.length, 'each case has a name of its own');
});

test("the issue's typo on the plugin layer: reexec('whoami', { chrootDir, cloneUserns, timeout }) is refused, naming chroot", async (t) => {
  const { Reexecer, ReexecError } = await import('reexecer');
  const { default: pino } = await import('pino');
  const reexecer = await Reexecer.create({ plugins: [join(ROOT, 'plugins/dist')], logger: pino({ level: 'silent' }) });
  const error = await t.throwsAsync(reexecer.reexec('whoami', { chrootDir: '/tmp', cloneUserns: true, timeout: 1 }), { instanceOf: ReexecError });
  t.is(error.kind, 'invalid-options');
  t.is(error.message, 'reexec("whoami"): chrootDir is not an option here: chrootDir is how the sandbox layer\'s ReexecSpec says it; use chroot (the directory the child chroots into (its cwd becomes /))');
});
