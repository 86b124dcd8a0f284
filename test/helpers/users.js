// The users the suites run fixture processes as: root (this process), nobody and the CI
// user (setpriv), and running a node fixture as one of them to read the JSON it prints.
import { execFileSync } from 'node:child_process';

import { run } from './process.js';

export const NOBODY = { name: 'nobody', uid: 65534, gid: 65534 };

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

/** The argv prefix that runs a command as `as` ('root', 'nobody' or 'ci'). */
export function asUser(as) {
  if (as === 'root') return [];
  if (as === 'nobody') return ['setpriv', `--reuid=${NOBODY.uid}`, `--regid=${NOBODY.gid}`, '--clear-groups'];
  if (as === 'ci') {
    const { uid, gid } = ciUser();
    return ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--init-groups'];
  }
  throw new Error(`unknown user ${as}`);
}

/**
 * Runs `argv` as `as` (in `cwd`, by default the repository root) and returns the JSON it
 * prints; rejects with its output when it exits non-zero or prints no JSON. `what` names
 * the command in those errors.
 */
export async function runJson(argv, { as = 'root', cwd, what = argv.join(' ') } = {}) {
  const r = await run([...asUser(as), ...argv], { cwd });
  if (r.code !== 0) throw new Error(`${what} as ${as} exited with ${r.code ?? r.signal}:\n${r.stderr}${r.stdout}`);
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`${what} as ${as} printed no JSON:\n${r.stdout}\n${r.stderr}`);
  }
}
