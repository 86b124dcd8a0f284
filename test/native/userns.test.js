// A user namespace the kernel refuses: kind 'userns-unavailable' with the knob to change.
import { readFileSync } from 'node:fs';

import test from 'ava';
import { diagnoseUserns } from 'reexecer/native';

import { scenario } from '../helpers/native.js';

for (const as of ['root', 'nobody']) {
  test(`${as}: with user.max_user_namespaces = 0 the spawn fails with kind userns-unavailable naming the knob`, async (t) => {
    const r = await scenario(as, 'usernsUnavailable');
    t.is(r.exit.exitCode, 0, r.stderr);
    t.is(r.inner.uid, 0, 'the probe runs as namespace root');
    t.is(r.inner.after, '0', 'the limit was set');
    t.like(r.inner.error, { isReexecError: true, kind: 'userns-unavailable', step: 'clone', code: 'ENOSPC' });
    t.regex(r.inner.error.message, /max_user_namespaces/);
    t.regex(r.inner.error.message, /sysctl -w user\.max_user_namespaces=/);
    t.like(r.inner.control, { exitCode: 0, signal: null, timedOut: false, aborted: false }, 'other namespaces still work');
  });
}

test('diagnoseUserns: ENOSPC with a non-zero limit names the limit and its value', (t) => {
  const limit = readFileSync('/proc/sys/user/max_user_namespaces', 'utf8').trim();
  t.not(limit, '0');
  const text = diagnoseUserns('ENOSPC');
  t.regex(text, /max_user_namespaces/);
  t.true(text.includes(`= ${limit}`), text);
});

test('diagnoseUserns: an unexplained EPERM names the errno', (t) => {
  t.regex(diagnoseUserns('EPERM'), /EPERM/);
});
