import { ReexecError } from '../errors.js';
import { addon, isSyscallError } from './addon.js';

// The child runtime's operations on itself, with the addon's syscall errors turned into
// ReexecErrors. They act on every thread of the process (threads share root and cwd), so
// the addon refuses them (kind 'outside-sandbox') in a process that spawnSandboxed did not start.

function run<T>(kind: 'chroot' | 'spawn', op: () => T): T {
  try {
    return op();
  } catch (error) {
    if (!isSyscallError(error)) throw error;
    if (error.code === 'EOUTSIDESANDBOX') throw new ReexecError('outside-sandbox', error.message, { cause: error, step: error.step, code: error.code });
    throw new ReexecError(kind, `${error.step} failed: ${error.code}`, { cause: error, step: error.step, code: error.code });
  }
}

/** chroot(dir) then chdir('/'); fs calls on the threadpool see the new root too. */
export const chroot = (dir: string): void => {
  run('chroot', () => addon.chroot(dir));
  process.chdir('/'); // the native chdir('/') bypasses Node's cached process.cwd()
};
/** In a mount namespace: `dir` becomes `/` and the old root is detached. */
export const pivotRoot = (dir: string): void => {
  run('chroot', () => addon.pivotRoot(dir));
  process.chdir('/'); // as in chroot: refresh Node's cached process.cwd()
};
export const sethostname = (name: string): void => run('spawn', () => addon.sethostname(name));
/** Needs a PID and a mount namespace. */
export const mountProc = (target: string): void => run('spawn', () => addon.mountProc(target));
/** The effective capability set, readable without /proc. */
export const capEff = (): bigint => addon.capEff();

/**
 * The default seccomp filter on every thread (and all the process starts later); see
 * native/seccomp.cc for what it refuses and why.
 */
export const installSeccomp = (): void => run('spawn', () => addon.installSeccomp());
/** The syscalls the default filter refuses with EPERM. */
export const seccompRefused = (): string[] => addon.seccompRefused();
/** Before the chroot into `root`: a Landlock ruleset allowing only these trees, resolved inside `root`. */
export const landlockPrepare = (root: string, read: string[], write: string[]): void => run('spawn', () => addon.landlockPrepare(root, read, write));
/** After the chroot: every thread restricted; returns how many threads block signals and stay out (Node's inspector thread). */
export const landlockEnforce = (): number => run('spawn', () => addon.landlockEnforce());
