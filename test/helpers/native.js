// Shared helpers of the native test suite: running sandboxed children to completion,
// running fixture scripts as root / nobody / the CI user, reading /proc.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { collect, PATH, ROOT } from './process.js';
import { scenarioRunners } from './scenario-runners.js';
import { asUser, ciUser, NOBODY } from './users.js';

export { collect, PATH, ROOT } from './process.js';
export { processGone } from './proc.js';
export { tempDir } from './fs.js';
export { ciUser, NOBODY } from './users.js';

export const FIXTURES = join(ROOT, 'test/fixtures/native');

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

/** Polls `predicate` until it holds or `ms` passed; returns its last value. */
export async function waitFor(predicate, ms = 10_000, stepMs = 20) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await predicate();
    if (value || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** Fds that startFixture's shellFds leaves open in the fixture without close-on-exec. */
export const STRAY_FDS = [50, 200];

/**
 * The argv prefix of shellFds: bash opens STRAY_FDS without close-on-exec and execs the
 * rest. (Node marks inherited fds 0-15 close-on-exec at start-up, uv_disable_stdio_inheritance,
 * and stops at the first closed fd above 15, so these two stay inheritable.)
 */
const SHELL_FDS = ['/bin/bash', '-c', `exec ${STRAY_FDS[0]}</etc/passwd ${STRAY_FDS[1]}</etc/hostname; exec "$@"`, 'bash'];

/**
 * Starts a fixture script as `as`. With `shellFds`, the fixture holds inheritable fds it
 * did not ask for (SHELL_FDS).
 */
export function startFixture(script, args, { as = 'root', shellFds = false } = {}) {
  const argv = [...asUser(as), ...(shellFds ? SHELL_FDS : []), process.execPath, join(FIXTURES, script), ...args];
  return spawn(argv[0], argv.slice(1), { cwd: ROOT, env: { PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
}

const runners = scenarioRunners(join(FIXTURES, 'scenarios.js'));

/**
 * Runs a scenario of scenarios.js in a fresh node process as `as` (with `shellFds`, as
 * startFixture) and returns its JSON result; rejects with its output when it fails.
 */
export function runScenario(name, arg = {}, { as = 'root', shellFds = false } = {}) {
  return runners.runScenario(name, arg, { as, prefix: shellFds ? SHELL_FDS : [] });
}

/**
 * Runs a scenario as `as`: root in this ava worker (JSON round-tripped, as the runner
 * would print it), nobody and the CI user in a node process under setpriv.
 */
export const { scenario } = runners;

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
