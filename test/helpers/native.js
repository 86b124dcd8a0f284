// Shared helpers of the native test suite: running sandboxed children to completion,
// running fixture scripts as root / nobody / the CI user, reading /proc.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES = join(ROOT, 'test/fixtures/native');
export const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Reads a stream to its end as text. */
export function collect(stream) {
  if (!stream) return Promise.resolve('');
  return new Promise((resolve, reject) => {
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => (text += chunk));
    stream.on('end', () => resolve(text));
    stream.on('error', reject);
  });
}

/** Resolves with the first line a stream prints. */
export function firstLine(stream) {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk) => {
      text += chunk;
      const nl = text.indexOf('\n');
      if (nl >= 0) {
        stream.off('data', onData);
        resolve(text.slice(0, nl));
      }
    };
    stream.setEncoding('utf8');
    stream.on('data', onData);
    stream.on('end', () => reject(new Error(`stream ended before a full line: ${JSON.stringify(text)}`)));
    stream.on('error', reject);
  });
}

/** The full capability mask of this kernel, as /proc/PID/status prints it. */
export function fullCapMask() {
  const last = BigInt(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
  return ((1n << (last + 1n)) - 1n).toString(16).padStart(16, '0');
}

/**
 * Whether the process that had `startTime` (field 22 of /proc/PID/stat) is gone: no entry,
 * a zombie or dead entry, or another process that reused the pid.
 */
export function processGone(pid, startTime) {
  let stat;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return true;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[0] === 'Z' || fields[0] === 'X' || fields[19] !== String(startTime);
}

/** Polls `predicate` until it holds or `ms` passed; returns its last value. */
export async function waitFor(predicate, ms = 10_000, stepMs = 20) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await predicate();
    if (value || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** A temporary directory removed when the test ends. */
export function tempDir(t, prefix = 'reexecer-test-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

let ci;
/** The unprivileged CI user with /etc/subuid and /etc/subgid ranges (.ci/setup-host.sh). */
export function ciUser() {
  ci ??= {
    name: 'reexecer-ci',
    uid: Number(execFileSync('id', ['-u', 'reexecer-ci'], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', 'reexecer-ci'], { encoding: 'utf8' }).trim()),
  };
  return ci;
}

export const NOBODY = { name: 'nobody', uid: 65534, gid: 65534 };

/** The command line that runs `argv` as `as` ('root', 'nobody' or 'ci'). */
export function asUser(as, argv) {
  if (as === 'root') return argv;
  if (as === 'nobody') return ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...argv];
  if (as === 'ci') {
    const { uid, gid } = ciUser();
    return ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--init-groups', ...argv];
  }
  throw new Error(`unknown user ${as}`);
}

/** Fds that startFixture's shellFds leaves open in the fixture without close-on-exec. */
export const STRAY_FDS = [50, 200];

/**
 * Starts a fixture script as `as`. With `shellFds`, bash opens STRAY_FDS without
 * close-on-exec and execs node, so the fixture holds inheritable fds it did not ask for.
 * (Node marks inherited fds 0-15 close-on-exec at start-up, uv_disable_stdio_inheritance,
 * and stops at the first closed fd above 15, so these two stay inheritable.)
 */
export function startFixture(script, args, { as = 'root', shellFds = false } = {}) {
  let argv = [process.execPath, join(FIXTURES, script), ...args];
  if (shellFds) argv = ['/bin/bash', '-c', `exec ${STRAY_FDS[0]}</etc/passwd ${STRAY_FDS[1]}</etc/hostname; exec "$@"`, 'bash', ...argv];
  argv = asUser(as, argv);
  return spawn(argv[0], argv.slice(1), { cwd: ROOT, env: { PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Runs a scenario of scenarios.js in a fresh node process as `as` and returns its JSON
 * result; rejects with the fixture's stderr when it fails.
 */
export async function runScenario(name, arg = {}, options = {}) {
  const child = startFixture('run-scenario.js', [name, JSON.stringify(arg)], options);
  const [stdout, stderr, code] = await Promise.all([
    collect(child.stdout),
    collect(child.stderr),
    new Promise((resolve) => child.on('close', (code, signal) => resolve(code ?? signal))),
  ]);
  if (code !== 0) throw new Error(`scenario ${name} as ${options.as ?? 'root'} exited with ${code}:\n${stderr}${stdout}`);
  try {
    return JSON.parse(stdout);
  } catch {
    throw new Error(`scenario ${name} as ${options.as ?? 'root'} printed no JSON:\n${stdout}\n${stderr}`);
  }
}

/**
 * Runs a scenario as `as`: root in this ava worker (JSON round-tripped, as the fixture
 * would print it), nobody and the CI user in a node process under setpriv.
 */
export async function scenario(as, name, arg = {}) {
  if (as !== 'root') return runScenario(name, arg, { as });
  const { scenarios } = await import('../fixtures/native/scenarios.js');
  return JSON.parse(JSON.stringify(await scenarios[name](arg)));
}

/** The user a test runs as, with the host ids its self map maps to 0. */
export function user(as) {
  if (as === 'root') return { name: 'root', uid: 0, gid: 0 };
  if (as === 'nobody') return NOBODY;
  return ciUser();
}

/** The text of a uid_map / gid_map as the kernel prints it, for comparison. */
export function mapLines(text) {
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => line.trim().split(/\s+/).map(Number));
}
