// The handle's streams: stdin/stdout/stderr pipes, 'pipe' extra fds (duplex sockets),
// 'ignore', 'inherit' and passed fds, and unref().
import { closeSync, openSync, readFileSync, readlinkSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import test from 'ava';
import { spawnSandboxed } from 'reexecer/native';

import { ciUser, collect, firstLine, processGone, scenario, startFixture, tempDir, waitFor } from '../helpers/native.js';

const ciMap = () => ({
  uidMappings: [{ namespaceId: 0, hostId: ciUser().uid, size: 1 }, { namespaceId: 1, hostId: 200000, size: 65536 }],
  gidMappings: [{ namespaceId: 0, hostId: ciUser().gid, size: 1 }, { namespaceId: 1, hostId: 200000, size: 65536 }],
});

for (const [as, label, arg] of [
  ['root', 'no namespaces', () => ({ namespaces: [] })],
  ['root', 'user+mount, direct map', () => ({ namespaces: ['user', 'mount'] })],
  ['nobody', 'user, self map', () => ({ namespaces: ['user'] })],
  ['ci', 'user, newuidmap', () => ({ namespaces: ['user'], idMappings: ciMap() })],
]) {
  test(`${as}, ${label}: a quiet child that exits at once still ends every stream for listeners attached after the spawn`, async (t) => {
    const rounds = await scenario(as, 'quietStreams', { ...arg(), rounds: 20 });
    t.is(rounds.length, 20);
    rounds.forEach((ended, i) => t.deepEqual(ended, [true, true, true], `round ${i}: 'end' reached the listeners of stdout, stderr, extra fd`));
  });
}

test('stdin reaches the child and a megabyte comes back through stdout', async (t) => {
  const child = await spawnSandboxed({ file: '/bin/cat', namespaces: ['user', 'mount'] });
  const data = Buffer.alloc(1 << 20, 'reexecer\n');
  const out = collect(child.stdout);
  child.stdin.end(data);
  t.is(await out, data.toString());
  t.is((await child.exited).exitCode, 0);
});

test("an extraFds 'pipe' is a duplex socket on fd 3", async (t) => {
  const child = await spawnSandboxed({
    file: '/bin/sh',
    args: ['-c', 'read line <&3; echo "got $line" >&3'],
    namespaces: ['user'],
    stdio: ['ignore', 'ignore', 'pipe'],
    extraFds: ['pipe'],
  });
  const back = collect(child.extraFds[0]);
  const err = collect(child.stderr);
  child.extraFds[0].write('ping\n');
  t.is(await back, 'got ping\n');
  t.is(await err, '');
  t.is((await child.exited).exitCode, 0);
});

test("stdio 'ignore' is /dev/null, 'inherit' is the parent's fd, a number passes that fd", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'err.log');
  writeFileSync(file, '');
  const fd = openSync(file, 'a');
  t.teardown(() => closeSync(fd));
  const views = [];
  for (const stdio of [
    ['ignore', 'pipe', fd],
    ['inherit', 'pipe', 'inherit'],
  ]) {
    // The shell waits on a forked sleep: no redirection of its own (dash keeps saved copies
    // of redirected fds at 10 and up while one is in force). The PID namespace takes the
    // sleep down with the shell.
    const child = await spawnSandboxed({ file: '/bin/sh', args: ['-c', 'if [ "$0" = log ]; then echo to-stderr >&2; fi; echo ready; sleep 100; exit 0', stdio[2] === fd ? 'log' : 'quiet'], namespaces: ['user', 'pid'], stdio, extraFds: ['pipe'] });
    t.is(await firstLine(child.stdout), 'ready');
    const fds = Object.fromEntries(readdirSync(`/proc/${child.pid}/fd`).map((n) => [n, readlinkSync(`/proc/${child.pid}/fd/${n}`)]));
    child.extraFds[0].resume();
    child.stdout.resume();
    child.kill('SIGKILL');
    t.is((await child.exited).signal, 'SIGKILL');
    t.deepEqual(Object.keys(fds).map(Number).sort((a, b) => a - b), [0, 1, 2, 3]);
    t.regex(fds[1], /^pipe:/);
    t.regex(fds[3], /^socket:/);
    t.is(child.stdin, null, "no stream for a non-'pipe' stdin");
    t.is(child.stderr, null);
    views.push(fds);
  }
  t.is(views[0][0], '/dev/null');
  t.is(views[0][2], file);
  t.is(readFileSync(file, 'utf8'), 'to-stderr\n', 'the passed fd got the output');
  t.is(views[1][0], readlinkSync('/proc/self/fd/0'));
  t.is(views[1][2], readlinkSync('/proc/self/fd/2'));
});

test('unref() lets the parent exit while the child runs, and the child dies with it', async (t) => {
  const parent = startFixture('unref.js', []);
  let stderr = '';
  parent.stderr.on('data', (d) => (stderr += d));
  const exit = new Promise((resolve) => parent.on('close', (code, signal) => resolve({ code, signal })));
  // A liveness bound, not a timing assertion: a parent that does not exit fails the test.
  const guard = setTimeout(() => parent.kill('SIGKILL'), 15_000);
  t.teardown(() => clearTimeout(guard));
  const { pid, startTime } = JSON.parse(await firstLine(parent.stdout));
  parent.stdout.resume();
  t.deepEqual(await exit, { code: 0, signal: null }, stderr);
  t.true(await waitFor(() => processGone(pid, startTime)), 'the child died with its parent');
});
