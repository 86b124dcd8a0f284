// What a finished reexec leaves behind in the parent: no abort listener on a shared
// signal, no timer that keeps the event loop (and so a short script) alive.
import test from 'ava';

import { runScenario } from '../fixtures/sandbox/helpers.js';

test('root: a signal shared by several reexecs keeps no abort listener once they finished', async (t) => {
  const r = await runScenario('leftBehind', { timeoutMs: 30_000 });
  t.deepEqual(r.results, ['Hi from action!', 'plugin-threw', 'Hi from action!']);
  t.is(r.abortListeners, 0);
});

// Known bug (reported): src/sandbox/run.ts races the streams against
// `delay(STREAM_GRACE_MS)` and never cancels or unrefs that timer, so every reexec leaves
// a 1 s timer behind: a script that runs one reexec and ends exits a second late.
// Flip to test() once fixed.
test('root: no timer is left behind once reexec resolved (timeoutMs cleared, grace timer gone)', async (t) => {
  const r = await runScenario('leftBehind', { timeoutMs: 30_000 });
  t.is(r.timers, 0);
});
