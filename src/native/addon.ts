import { createRequire } from 'node:module';

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
  /** One marker byte with `fds` attached (SCM_RIGHTS). */
  sendFds(socketFd: number, fds: readonly number[]): void;
  /** Blocks for sendFds' message; its fds (close-on-exec), or null at EOF. */
  recvFds(socketFd: number): number[] | null;
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

export const addon = createRequire(import.meta.url)('../../build/Release/reexecer.node') as Addon;

export const CLONE_FLAGS = {
  mount: 0x00020000,
  cgroup: 0x02000000,
  uts: 0x04000000,
  ipc: 0x08000000,
  user: 0x10000000,
  pid: 0x20000000,
  net: 0x40000000,
} as const;
