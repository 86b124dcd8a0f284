import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import { ReexecError } from '../errors.js';
import { errnoName, errnoText } from './errno.js';

/** The compiled addon (native/*.cc); see those files for what each call does. */
export interface NativeSpawnOptions {
  file: string;
  argv: string[];
  env: string[];
  cwd?: string;
  hostname?: string;
  fds: number[];
  cloneFlags: number;
  waitForParent: boolean;
  /** The child writes this self map itself (setgroups denied), so it waits for no one. */
  selfMap?: { uid: number; gid: number };
  uid?: number;
  gid?: number;
  dropGroups: boolean;
  noNewPrivileges: boolean;
  landlockScope?: boolean;
  /** [resource, soft, hard]; -1 for RLIM_INFINITY. */
  rlimits?: [number, number, number][];
  /** chdir("/") instead when the target user may not enter cwd (EACCES). */
  cwdOrRoot?: boolean;
  /** With a PID namespace: pid 1 is a tiny init that reaps orphans; the program is pid 2. */
  pidInit: boolean;
}

export interface NativeSpawnResult {
  pid: number;
  pidfd: number;
  /** -1 unless waitForParent. */
  syncFd: number;
  errorFd: number;
}

export interface NativeExitWatcher {
  kill(signal: number): boolean;
  ref(): void;
  unref(): void;
}

export interface Addon {
  spawn(options: NativeSpawnOptions): NativeSpawnResult;
  pollReadable(fd: number, timeoutMs: number): boolean;
  ExitWatcher: new (pidfd: number, onExit: (exitCode: number | null, signal: number | null, cpuMs: number) => void) => NativeExitWatcher;
  chroot(dir: string): void;
  pivotRoot(dir: string): void;
  sethostname(name: string): void;
  mountProc(target: string): void;
  capEff(): bigint;
  pipe(): [number, number];
  socketpair(): [number, number];
  installSeccomp(): void;
  seccompRefused(): string[];
  landlockAbi(): number;
  landlockPrepare(root: string, read: string[], write: string[]): void;
  landlockEnforce(): number;
  /** Closes an fd that pipe(), socketpair() or spawn() made (fs.closeSync warns about those in a worker). */
  close(fd: number): void;
  /** `data` (or one marker byte) with `fds` attached (SCM_RIGHTS), in one sendmsg; how many bytes of `data` went. */
  sendFds(socketFd: number, fds: readonly number[], data?: Buffer): number;
  /** Blocks for sendFds' message: its fds (close-on-exec) and the bytes read with them (up to 64 KiB); null at EOF. */
  recvFds(socketFd: number): { fds: number[]; data: Buffer } | null;
  /** Closes every fd and _exit()s: for a child whose report is flushed. */
  exitNow(code: number): never;
}

/** The error the addon throws when a syscall fails. */
export interface SyscallError extends Error {
  step: string;
  errno: number;
  code: string;
}

export function isSyscallError(error: unknown): error is SyscallError {
  return error instanceof Error && typeof (error as Partial<SyscallError>).step === 'string';
}

/** How to get a working addon, for every message that says it is missing. */
export const ADDON_HINT =
  'Rebuild it for this machine: npm rebuild reexecer (with no prebuilt addon for this platform, that compiles it: it needs python3, make, a C++ compiler and the headers of the Node that runs it, which official Node builds ship in <prefix>/include/node).';

// Every entry point sits two directories below the package root (dist/native/addon.js,
// dist/bundles/*.js, dist/child/runtime.js).
const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The addon reports errno as a number; Node names it, whatever the libc. */
function named(error: unknown): unknown {
  if (error instanceof Error && typeof (error as Partial<SyscallError>).step === 'string' && typeof (error as Partial<SyscallError>).errno === 'number') {
    const e = error as SyscallError;
    e.code = errnoName(e.errno);
    e.message = `${e.step} failed: ${e.code} (${errnoText(e.errno)})`;
  }
  return error;
}

/** `fn` (a function or a class) with its syscall errors named; calls and `new` pass through. */
function wrap<F extends object>(fn: F): F {
  const rethrow = (error: unknown): never => {
    throw named(error);
  };
  return new Proxy(fn, {
    apply: (target, thisArg, args) => {
      try {
        return Reflect.apply(target as (...a: unknown[]) => unknown, thisArg, args);
      } catch (error) {
        return rethrow(error);
      }
    },
    construct: (target, args, newTarget) => {
      try {
        return Reflect.construct(target as new (...a: unknown[]) => object, args, newTarget);
      } catch (error) {
        return rethrow(error);
      }
    },
  });
}

function load(at: string | undefined): { raw: Addon; path: string } {
  const require = createRequire(import.meta.url);
  try {
    // node-gyp-build picks build/Release (a local build) or the prebuild that fits
    // (prebuilds/<platform>-<arch>/, libc tag).
    const path = at ?? (require('node-gyp-build') as { resolve(dir: string): string }).resolve(PACKAGE_ROOT);
    return { raw: require(path) as Addon, path };
  } catch (error) {
    throw new ReexecError('addon-unavailable', `the reexecer native addon cannot be loaded for ${process.platform}-${process.arch} (Node ${process.version}): ${(error as Error).message.split('\n')[0]}`, { cause: error, hint: ADDON_HINT });
  }
}

function withErrnoNames(raw: Addon): Addon {
  const wrapped = { ...raw } as Record<string, unknown>;
  for (const [key, value] of Object.entries(raw)) if (typeof value === 'function' && key !== 'ExitWatcher') wrapped[key] = wrap(value as object);
  // The class's methods are read-only properties: name its errors in a subclass.
  wrapped.ExitWatcher = class extends raw.ExitWatcher {
    override kill(signal: number): boolean {
      try {
        return super.kill(signal);
      } catch (error) {
        throw named(error);
      }
    }
  };
  return wrapped as unknown as Addon;
}

// Shared by every copy of this module in the process (the child runtime and the reexecer
// bundle each hold one): the child's chroot loads the addon, and a plugin's call after the
// chroot, where node_modules is out of reach, finds it loaded.
const KEY = Symbol.for('reexecer.native.addon');
const slot = globalThis as { [KEY]?: { addon: Addon; path: string } };

/**
 * Loads the addon now (throws a ReexecError of kind addon-unavailable when it cannot); from
 * `at` when given (the child loads the binary its host loaded: node-gyp-build's search
 * costs a child start ≈ 4 ms).
 */
export function loadAddon(at?: string): { addon: Addon; path: string } {
  if (!slot[KEY]) {
    const { raw, path } = load(at);
    slot[KEY] = { addon: withErrnoNames(raw), path };
  }
  return slot[KEY];
}

/**
 * The addon, loaded on first use: importing reexecer (or reexecer/reexec, which never needs
 * it) works without it, and only a call that needs it reports it missing.
 */
export const addon: Addon = new Proxy({} as Addon, { get: (_target, key) => loadAddon().addon[key as keyof Addon] });

export const CLONE_FLAGS = {
  mount: 0x00020000,
  cgroup: 0x02000000,
  uts: 0x04000000,
  ipc: 0x08000000,
  user: 0x10000000,
  pid: 0x20000000,
  net: 0x40000000,
} as const;
