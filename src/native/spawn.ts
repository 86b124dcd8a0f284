import { Socket, type SocketConstructorOpts } from 'node:net';
import { constants as os } from 'node:os';
import type { Readable, Writable } from 'node:stream';

import { ReexecError, invalidOptions } from '../errors.js';
import { addon, CLONE_FLAGS, isSyscallError, type NativeExitWatcher } from './addon.js';
import { errnoName } from './errno.js';
import { defaultIdMapper } from './id-mapper.js';
import { defaultIdMappings, isSelfMap, mapsHostRoot, mapsNamespaceId, type IdMappings } from './id-mappings.js';
import { parseChildFailure, readToEnd, readToEndSync } from './child-failure.js';
import { FdPlan } from './fd-plan.js';
import { mapAndRelease } from './release.js';
import { signalName, signalNumber } from './signals.js';
import { envArray, validateSpawnOptions, type SpawnSandboxedOptions } from './spawn-options.js';
import { resolveExecutable } from './resolve-executable.js';
import { diagnoseUserns } from './userns-diagnosis.js';

export type { Namespace, SpawnSandboxedOptions, StdioOption, ExtraFdOption } from './spawn-options.js';
export { NAMESPACES } from './spawn-options.js';

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
  /** Undoes unref(): a prewarmed child, idle until then, serves a call. */
  ref(): void;
  /** Drops timeoutMs and the signal's listener: the caller has what it needed (the exit is still reaped). */
  endDeadline(): void;
}

function spawnError(error: unknown, userns: boolean): ReexecError {
  if (!isSyscallError(error)) return new ReexecError('spawn', `spawn failed: ${(error as Error)?.message ?? error}`, { cause: error });
  if (userns && ['EPERM', 'ENOSPC', 'EINVAL', 'EACCES', 'EUSERS'].includes(error.code))
    return new ReexecError('userns-unavailable', `cannot create a user namespace: ${error.step} failed: ${error.code}`, {
      cause: error,
      step: error.step,
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
  validateSpawnOptions(options);
  const namespaces = new Set(options.namespaces ?? []);
  const userns = namespaces.has('user');
  const mappings = userns ? options.idMappings ?? defaultIdMappings() : undefined;
  const uid = options.uid ?? (userns ? 0 : undefined);
  const gid = options.gid ?? (userns ? 0 : undefined);
  if (mappings && !mapsNamespaceId(mappings.uidMappings, uid!)) throw invalidOptions(`uid ${uid} is not mapped by uidMappings: map it or choose a mapped uid`);
  if (mappings && !mapsNamespaceId(mappings.gidMappings, gid!)) throw invalidOptions(`gid ${gid} is not mapped by gidMappings: map it or choose a mapped gid`);
  if (mappings && mapsHostRoot(mappings) && options.dangerouslyMapHostRoot !== true)
    throw invalidOptions(
      'the id maps put host root (uid or gid 0) into the namespace: its root would own every root-owned file of the host. ' +
        'Map other host ids (the default map does), or pass dangerouslyMapHostRoot: true if that is truly meant',
    );
  if (options.signal?.aborted) throw new ReexecError('aborted', 'aborted before the child was spawned', { cause: options.signal.reason });

  // An unprivileged self map with the default mapper is what the child may write itself:
  // it then need not wait for the parent, and the spawn can share the parent's memory.
  const childMaps = mappings !== undefined && writesOwnMap(mappings, options.idMapper);
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
      waitForParent: userns && !childMaps,
      selfMap: childMaps ? { uid: process.geteuid!(), gid: process.getegid!() } : undefined,
      uid,
      gid,
      dropGroups: uid !== undefined && !childMaps,
      noNewPrivileges: options.noNewPrivileges ?? true,
      pidInit: options.init ?? false,
    });
  } catch (error) {
    fds.closeAll();
    throw spawnError(error, userns);
  }
  fds.closeChildEnds();
  return supervise(spawned, fds.parentEnds, options, mappings);
}

function writesOwnMap(mappings: IdMappings, mapper: SpawnSandboxedOptions['idMapper']): boolean {
  const uid = process.geteuid!();
  return uid !== 0 && (mapper === undefined || mapper === defaultIdMapper) && isSelfMap(mappings.uidMappings, uid) && isSelfMap(mappings.gidMappings, process.getegid!());
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
    endDeadline: () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    },
    ref: () => {
      watcher.ref();
      timer?.ref();
      streams.forEach((s) => s?.ref());
    },
  };
}
