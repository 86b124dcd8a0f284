// Exit, kill, timeout, abort, failed execve, and the child dying with its parent, as root
// and as nobody.
import test from 'ava';

import { firstLine, processGone, scenario, startFixture, waitFor } from '../helpers/native.js';

const NS = { none: [], userns: ['user', 'mount'] };

for (const as of ['root', 'nobody']) {
  for (const [label, namespaces] of Object.entries(NS)) {
    test(`${as}, ${label}: a missing executable fails with kind spawn, step execve, ENOENT`, async (t) => {
      const r = await scenario(as, 'missing', { namespaces });
      for (const key of ['absolute', 'bare']) {
        t.like(r[key].error, { isReexecError: true, name: 'ReexecError', kind: 'spawn', step: 'execve', code: 'ENOENT', message: 'execve failed: ENOENT' }, key);
      }
      t.like(r.notExecutable.error, { kind: 'spawn', step: 'execve', code: 'EACCES' });
    });
  }

  test(`${as}: a killed child reports its signal; exit codes come back`, async (t) => {
    // Not in a PID namespace: its pid 1 ignores signals it has no handler for (SIGKILL aside).
    const r = await scenario(as, 'signals', { namespaces: ['user', 'mount'] });
    t.true(r.killedTerm, 'kill() delivered');
    t.like(r.term, { exitCode: null, signal: 'SIGTERM', timedOut: false, aborted: false });
    t.like(r.kill, { exitCode: null, signal: 'SIGKILL', timedOut: false, aborted: false });
    t.like(r.code, { exitCode: 7, signal: null, timedOut: false, aborted: false });
    t.like(r.self, { exitCode: null, signal: 'SIGUSR1', timedOut: false, aborted: false });
    t.false(r.killAfterExit, 'kill() after the exit reaches nobody');
  });

  test(`${as}: timeoutMs kills with SIGKILL and says timedOut`, async (t) => {
    const r = await scenario(as, 'timeout', { namespaces: ['user'] });
    t.like(r.exit, { exitCode: null, signal: 'SIGKILL', timedOut: true, aborted: false });
  });

  test(`${as}: an abort signal kills with SIGKILL and says aborted; an aborted signal prevents the spawn`, async (t) => {
    const r = await scenario(as, 'abort', { namespaces: ['user'] });
    t.like(r.exit, { exitCode: null, signal: 'SIGKILL', timedOut: false, aborted: true });
    t.like(r.preAborted.error, { isReexecError: true, kind: 'aborted' });
  });

  for (const how of ['abort', 'timeout']) {
    test(`${as}: with a PID namespace, ${how} takes the whole tree`, async (t) => {
      const r = await scenario(as, 'treeKill', { how, namespaces: ['user', 'pid'] });
      t.is(r.exit.signal, 'SIGKILL');
      t.is(how === 'abort' ? r.exit.aborted : r.exit.timedOut, true);
      t.is(r.descendants.length, 2, 'the shell had two children');
      t.deepEqual(r.alive, [], 'no grandchild survives');
    });
  }
}

// The fixture spawns the sandboxed child(ren), prints their pids and start times and stays
// alive; SIGKILL of the fixture must take them down (PR_SET_PDEATHSIG, and with a PID
// namespace the kernel kills the rest of the tree when its pid 1 dies).
const ORPHANS = [
  { label: 'no namespaces', arg: { namespaces: [] } },
  { label: 'user+mount namespaces', arg: { namespaces: ['user', 'mount'] } },
  { label: 'a PID namespace (whole tree)', arg: { namespaces: ['user', 'pid'], tree: true } },
];
for (const as of ['root', 'nobody', 'ci']) {
  for (const { label, arg } of ORPHANS) {
    test(`${as}: SIGKILL of the parent kills the child, ${label}`, async (t) => {
      const parent = startFixture('orphan.js', [JSON.stringify(arg)], { as });
      let stderr = '';
      parent.stderr.on('data', (d) => (stderr += d));
      t.teardown(() => parent.kill('SIGKILL'));
      const line = await firstLine(parent.stdout).catch((error) => {
        throw new Error(`${error.message}\n${stderr}`);
      });
      const { procs } = JSON.parse(line);
      t.is(procs.length, arg.tree ? 3 : 1);
      t.true(procs.every((p) => !processGone(p.pid, p.startTime)), 'the children run while the parent lives');
      const closed = new Promise((resolve) => parent.on('close', (code, signal) => resolve(signal)));
      parent.kill('SIGKILL');
      t.is(await closed, 'SIGKILL');
      const allGone = await waitFor(() => procs.every((p) => processGone(p.pid, p.startTime)), 10_000);
      t.true(allGone, `still running: ${JSON.stringify(procs.filter((p) => !processGone(p.pid, p.startTime)))}`);
    });
  }
}
