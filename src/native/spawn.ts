import { closeSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { Socket, type SocketConstructorOpts } from 'node:net';
import { constants as os } from 'node:os';
import type { Readable, Writable } from 'node:stream';

import { ReexecError, invalidOptions } from '../errors.js';
import { addon, CLONE_FLAGS, isSyscallError, type NativeExitWatcher } from './addon.js';
import { errnoName } from './errno.js';
import { defaultIdMapper, type IdMapper } from './id-mapper.js';
import { mapsNamespaceId, selfMappings, validateIdMappings, type IdMappings } from './id-mappings.js';
import { parseChildFailure, readToEnd } from './child-failure.js';
import { resolveExecutable } from './resolve-executable.js';
import { diagnoseUserns } from './userns-diagnosis.js';

export type Namespace = keyof typeof CLONE_FLAGS;
export const NAMESPACES = Object.keys(CLONE_FLAGS) as Namespace[];

/** 'pipe': a new pipe, its other end in the handle; 'inherit': the parent's; 'ignore': /dev/null; a number: that fd. */
export type StdioOption = 'pipe' | 'inherit' | 'ignore' | number;
/** 'pipe': a new socketpair (duplex), its other end in the handle; a number: that fd of the parent. */
export type ExtraFdOption = 'pipe' | number;

export interface SpawnSandboxedOptions {
  /** Absolute path, or a name looked up in PATH (the child's `env.PATH`, else the parent's). */
  file: string;
  args?: readonly string[];
  /** The child's argv[0]; by default `file`. */
  argv0?: string;
  /** The child's whole environment: nothing of the parent's reaches it otherwise. */
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  namespaces?: readonly Namespace[];
  /** With a user namespace; by default the caller's own uid and gid become 0. */
  idMappings?: IdMappings;
  idMapper?: IdMapper;
  /** Ids to take inside (default 0 with a user namespace, unchanged without). */
  uid?: number;
  gid?: number;
  /** Needs the `uts` namespace. */
  hostname?: string;
  noNewPrivileges?: boolean;
  stdio?: readonly [StdioOption, StdioOption, StdioOption];
  /** Become fds 3, 4, ... in the child. */
  extraFds?: readonly ExtraFdOption[];
  /** Abort kills the child with SIGKILL (with a PID namespace, its whole tree). */
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface ChildExit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
}

export interface SandboxedChild {
  readonly pid: number;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /** The parent's ends of `extraFds: 'pipe'` entries, in order; null for passed fds. */
  readonly extraFds: readonly (Socket | null)[];
  readonly exited: Promise<ChildExit>;
  kill(signal?: NodeJS.Signals | number): boolean;
  /** Let the parent exit while this child runs. */
  unref(): void;
}

const MAX_CHILD_FDS = 256;

function validate(options: SpawnSandboxedOptions): void {
  if (typeof options?.file !== 'string' || options.file === '') throw invalidOptions('file must be a non-empty string naming the program to execute');
  for (const ns of options.namespaces ?? [])
    if (!NAMESPACES.includes(ns)) throw invalidOptions(`unknown namespace ${JSON.stringify(ns)}: use ${NAMESPACES.join(', ')}`);
  const has = (ns: Namespace) => options.namespaces?.includes(ns) ?? false;
  if (options.hostname !== undefined && !has('uts')) throw invalidOptions('hostname needs the uts namespace: add "uts" to namespaces');
  if (options.idMappings !== undefined && !has('user')) throw invalidOptions('idMappings need the user namespace: add "user" to namespaces');
  for (const key of ['uid', 'gid'] as const) {
    const v = options[key];
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 0xffff_fffe)) throw invalidOptions(`${key} must be an id between 0 and 4294967294`);
  }
  if ((options.uid === undefined) !== (options.gid === undefined)) throw invalidOptions('give uid and gid together');
  if (options.timeoutMs !== undefined && !(Number.isFinite(options.timeoutMs) && options.timeoutMs > 0))
    throw invalidOptions('timeoutMs must be a positive number of milliseconds');
  const fdCount = 3 + (options.extraFds?.length ?? 0);
  if (fdCount > MAX_CHILD_FDS) throw invalidOptions(`at most ${MAX_CHILD_FDS - 3} extraFds can be passed`);
  for (const v of [...(options.stdio ?? []), ...(options.extraFds ?? [])])
    if (typeof v === 'number' ? !Number.isInteger(v) || v < 0 : !['pipe', 'inherit', 'ignore'].includes(v))
      throw invalidOptions(`bad stdio or extraFds entry ${JSON.stringify(v)}: use 'pipe', 'inherit', 'ignore' or an open fd`);
  if (options.extraFds?.some((v) => (v as unknown) === 'inherit' || (v as unknown) === 'ignore'))
    throw invalidOptions("extraFds entries are 'pipe' or an open fd");
  for (const [key, value] of Object.entries(options.env ?? {}))
    if (key === '' || key.includes('=') || key.includes('\0') || value?.includes('\0'))
      throw invalidOptions(`env entry ${JSON.stringify(key)} is not a valid variable (no "=" or NUL in names, no NUL in values)`);
}

/** Fds the parent creates for the child: the child's ends, closed here once it is spawned. */
class FdPlan {
  readonly childFds: number[] = [];
  readonly parentEnds: (number | null)[] = [];
  private readonly owned: number[] = [];

  stdio(option: StdioOption, index: number): void {
    if (option === 'pipe') {
      const [r, w] = addon.pipe();
      this.add(index === 0 ? r : w, index === 0 ? w : r);
    } else if (option === 'ignore') {
      this.add(openSync('/dev/null', index === 0 ? 'r' : 'w'), null);
    } else {
      this.childFds.push(option === 'inherit' ? index : option);
      this.parentEnds.push(null);
    }
  }

  extra(option: ExtraFdOption): void {
    if (option === 'pipe') {
      const [mine, theirs] = addon.socketpair();
      this.add(theirs, mine);
    } else {
      this.childFds.push(option);
      this.parentEnds.push(null);
    }
  }

  private add(childEnd: number, parentEnd: number | null): void {
    this.owned.push(childEnd);
    this.childFds.push(childEnd);
    this.parentEnds.push(parentEnd);
  }

  closeChildEnds(): void {
    for (const fd of this.owned.splice(0)) closeSync(fd);
  }

  closeAll(): void {
    this.closeChildEnds();
    for (const fd of this.parentEnds) if (fd !== null) closeSync(fd);
  }
}

function signalName(signal: number | null): NodeJS.Signals | null {
  if (signal === null) return null;
  return (Object.entries(os.signals).find(([, n]) => n === signal)?.[0] as NodeJS.Signals) ?? null;
}

function signalNumber(signal: NodeJS.Signals | number): number {
  if (typeof signal === 'number') return signal;
  const n = os.signals[signal];
  if (n === undefined) throw invalidOptions(`unknown signal ${signal}`);
  return n;
}

function envArray(env: Readonly<Record<string, string | undefined>> = {}): string[] {
  return Object.entries(env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
}

function spawnError(error: unknown, userns: boolean): ReexecError {
  if (!isSyscallError(error)) return new ReexecError('spawn', `spawn failed: ${(error as Error)?.message ?? error}`, { cause: error });
  if (userns && ['EPERM', 'ENOSPC', 'EINVAL', 'EACCES', 'EUSERS'].includes(error.code))
    return new ReexecError('userns-unavailable', `cannot create a user namespace: clone3 failed: ${error.code}`, {
      cause: error,
      step: 'clone3',
      code: error.code,
      hint: diagnoseUserns(error.code),
    });
  return new ReexecError('spawn', `${error.step} failed: ${error.code}`, { cause: error, step: error.step, code: error.code });
}

/**
 * Spawns `file` in the requested namespaces with one exec: the child waits in native code
 * until its id maps are written, takes its ids, then execs as namespace root with full
 * capabilities. Resolves once execve succeeded; rejects with the failing step otherwise.
 */
export async function spawnSandboxed(options: SpawnSandboxedOptions): Promise<SandboxedChild> {
  validate(options);
  const namespaces = new Set(options.namespaces ?? []);
  const userns = namespaces.has('user');
  const mappings = userns ? options.idMappings ?? selfMappings() : undefined;
  if (mappings) {
    validateIdMappings(mappings.uidMappings, 'uid');
    validateIdMappings(mappings.gidMappings, 'gid');
  }
  const uid = options.uid ?? (userns ? 0 : undefined);
  const gid = options.gid ?? (userns ? 0 : undefined);
  if (mappings && !mapsNamespaceId(mappings.uidMappings, uid!)) throw invalidOptions(`uid ${uid} is not mapped by uidMappings: map it or choose a mapped uid`);
  if (mappings && !mapsNamespaceId(mappings.gidMappings, gid!)) throw invalidOptions(`gid ${gid} is not mapped by gidMappings: map it or choose a mapped gid`);
  if (options.signal?.aborted) throw new ReexecError('aborted', 'aborted before the child was spawned', { cause: options.signal.reason });

  const env = envArray(options.env);
  const file = resolveExecutable(options.file, options.env?.PATH ?? process.env.PATH, options.cwd);
  const fds = new FdPlan();
  let spawned;
  try {
    (options.stdio ?? ['pipe', 'pipe', 'pipe']).forEach((o, i) => fds.stdio(o, i));
    for (const o of options.extraFds ?? []) fds.extra(o);
    spawned = addon.spawn({
      file,
      argv: [options.argv0 ?? options.file, ...(options.args ?? [])],
      env,
      cwd: options.cwd,
      hostname: options.hostname,
      fds: fds.childFds,
      cloneFlags: [...namespaces].reduce((flags, ns) => flags | CLONE_FLAGS[ns], 0),
      waitForParent: userns,
      uid,
      gid,
      dropGroups: uid !== undefined,
      noNewPrivileges: options.noNewPrivileges ?? false,
    });
  } catch (error) {
    fds.closeAll();
    throw spawnError(error, userns);
  }
  fds.closeChildEnds();
  return supervise(spawned, fds.parentEnds, options, mappings);
}

/**
 * Writes the maps and releases the waiting child. Stays synchronous when the mapper is
 * (root, or a self map): the caller can then block the few hundred microseconds until
 * execve, as libuv's spawn does, instead of returning to the event loop while the child
 * still shares every page copy-on-write with it. newuidmap makes it asynchronous.
 */
function mapAndRelease(pid: number, syncFd: number, mapper: IdMapper, mappings: IdMappings): void | Promise<void> {
  let open = true;
  const close = () => {
    if (open) closeSync(syncFd); // without the byte first, EOF: the waiting child exits without exec
    open = false;
  };
  const release = () => {
    // setgroups(2) is forbidden once a self map denied it; the child cannot read that itself.
    const groupsAllowed = readFileSync(`/proc/${pid}/setgroups`, 'utf8').trim() === 'allow';
    writeSync(syncFd, groupsAllowed ? 'g' : 'k');
    close();
  };
  const fail = (error: unknown): never => {
    close();
    throw error;
  };
  try {
    const gids = () => {
      const written = mapper.mapGids(pid, mappings.gidMappings);
      return written instanceof Promise ? written.then(release) : release();
    };
    const uids = mapper.mapUids(pid, mappings.uidMappings);
    const done = uids instanceof Promise ? uids.then(gids) : gids();
    return done instanceof Promise ? done.catch(fail) : done;
  } catch (error) {
    return fail(error);
  }
}

/** Blocks until the child exec'd (the close-on-exec error pipe reads EOF) or failed. */
function readToEndSync(fd: number): Buffer {
  const chunks: Buffer[] = [];
  const buffer = Buffer.alloc(64);
  try {
    for (let n; (n = readSync(fd, buffer)) > 0; ) chunks.push(Buffer.from(buffer.subarray(0, n)));
  } finally {
    closeSync(fd);
  }
  return Buffer.concat(chunks);
}

function mappingFailure(error: unknown, pid: number, exit: ChildExit, options: SpawnSandboxedOptions): ReexecError {
  if (exit.aborted) return new ReexecError('aborted', 'aborted while the id maps were written', { cause: options.signal?.reason });
  if (exit.timedOut) return new ReexecError('timeout', `timed out after ${options.timeoutMs} ms while the id maps were written`);
  if (error instanceof ReexecError) return error;
  return new ReexecError('mapping', `writing the id maps of child ${pid} failed: ${(error as Error).message}`, { cause: error });
}

async function supervise(
  spawned: ReturnType<typeof addon.spawn>,
  parentEnds: (number | null)[],
  options: SpawnSandboxedOptions,
  mappings: IdMappings | undefined,
): Promise<SandboxedChild> {
  const { pid, syncFd, errorFd } = spawned;
  let mapping: void | Promise<void> = undefined;
  let mappingError: unknown;
  try {
    if (syncFd >= 0) mapping = mapAndRelease(pid, syncFd, options.idMapper ?? defaultIdMapper, mappings!);
  } catch (error) {
    mappingError = error;
  }
  const pending = mapping instanceof Promise ? mapping : undefined;
  let record = pending ? undefined : readToEndSync(errorFd);

  let timedOut = false;
  let aborted = false;
  let resolveExit!: (exit: ChildExit) => void;
  const exited = new Promise<ChildExit>((resolve) => (resolveExit = resolve));
  const watcher: NativeExitWatcher = new addon.ExitWatcher(spawned.pidfd, (exitCode, signal) => {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    resolveExit({ exitCode, signal: signalName(signal), timedOut, aborted });
  });
  const onAbort = () => {
    aborted = true;
    watcher.kill(os.signals.SIGKILL);
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          watcher.kill(os.signals.SIGKILL);
        }, options.timeoutMs);

  // manualStart: read only once the caller consumes. A socket that starts reading at once
  // can hit EOF while the id maps and the error pipe are awaited below, and then emits
  // 'end' before the caller could listen: a quiet, quickly exiting child's stderr never ends.
  const streams = parentEnds.map((fd, i) =>
    fd === null ? null : new Socket({ fd, readable: i !== 0, writable: i === 0 || i > 2, manualStart: true } as SocketConstructorOpts),
  );
  const destroyStreams = () => streams.forEach((s) => s?.destroy());

  if (pending) {
    const errorPipe = readToEnd(errorFd);
    await pending.catch((error: unknown) => (mappingError = error));
    record = await errorPipe;
  }
  if (mappingError !== undefined) {
    const exit = await exited;
    destroyStreams();
    throw mappingFailure(mappingError, pid, exit, options);
  }

  const failure = parseChildFailure(record!);
  if (failure) {
    const exit = await exited;
    destroyStreams();
    const code = errnoName(failure.errno);
    throw new ReexecError('spawn', `${failure.step} failed: ${code}`, { step: failure.step, code, exitCode: exit.exitCode, signal: exit.signal });
  }

  const stdin = streams[0] ?? null;
  stdin?.on('error', (error: NodeJS.ErrnoException) => {
    // A child that exits without reading its input is not the caller's failure.
    if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') throw error;
  });
  return {
    pid,
    stdin,
    stdout: streams[1] ?? null,
    stderr: streams[2] ?? null,
    extraFds: streams.slice(3),
    exited,
    kill: (signal = 'SIGTERM') => watcher.kill(signalNumber(signal)),
    unref: () => {
      watcher.unref();
      timer?.unref();
      streams.forEach((s) => s?.unref());
    },
  };
}
