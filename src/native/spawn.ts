import { Socket, type SocketConstructorOpts } from 'node:net';
import { constants as os } from 'node:os';
import type { Readable, Writable } from 'node:stream';

import { ReexecError, invalidOptions } from '../errors.js';
import { addon, CLONE_FLAGS, isSyscallError, type NativeExitWatcher } from './addon.js';
import { errnoName } from './errno.js';
import { defaultIdMapper } from './id-mapper.js';
import { defaultIdMappings, hostIdOf, isSelfMap, mapsHostRoot, mapsNamespaceId, type IdMappings } from './id-mappings.js';
import { parseChildFailure, readRecordSync, readToEnd } from './child-failure.js';
import { FdPlan } from './fd-plan.js';
import { mapAndRelease } from './release.js';
import { rlimitsOf } from './limits.js';
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
  /** CPU time the child (and the children it waited for) used, user + system. */
  cpuMs: number;
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
export function spawnSandboxed(options: SpawnSandboxedOptions): Promise<SandboxedChild> {
  return spawnWith(options, {});
}

/** What only reexecer's own layers ask of a spawn. */
export interface InternalSpawnOptions {
  /** The cwd is the host's own (not the caller's choice): "/" when the child may not enter it. */
  cwdOrRoot?: boolean;
}

/** spawnSandboxed, with the internal options. */
export async function spawnWith(options: SpawnSandboxedOptions, internal: InternalSpawnOptions): Promise<SandboxedChild> {
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
  if (options.limits?.processes !== undefined && hostIdOf(mappings!.uidMappings, uid!) === 0)
    throw invalidOptions('limits.processes cannot bind a child whose uid is host root (the kernel exempts it): map the namespace uid to an unprivileged host uid');
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
      landlockScope: options.landlockScope ?? false,
      rlimits: rlimitsOf(options.limits),
      cwdOrRoot: internal.cwdOrRoot ?? false,
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

/** How long the event loop may be held waiting for the exec before the wait goes async. */
const SYNC_EXEC_WAIT_MS = 50;

function endedEarly(exit: ChildExit, options: SpawnSandboxedOptions, while_: string): ReexecError | undefined {
  if (exit.aborted) return new ReexecError('aborted', `aborted while ${while_}`, { cause: options.signal?.reason });
  if (exit.timedOut) return new ReexecError('timeout', `timed out after ${options.timeoutMs} ms while ${while_}`);
  return undefined;
}

function mappingFailure(error: unknown, pid: number, exit: ChildExit, options: SpawnSandboxedOptions): ReexecError {
  const early = endedEarly(exit, options, 'the id maps were written');
  if (early) return early;
  if (error instanceof ReexecError) return error;
  return new ReexecError('mapping', `writing the id maps of child ${pid} failed: ${(error as Error).message}`, { cause: error });
}

interface Watch {
  watcher: NativeExitWatcher;
  exited: Promise<ChildExit>;
  timer: NodeJS.Timeout | undefined;
  /** The timer or the signal sent its SIGKILL. */
  killing(): boolean;
  /** Drops the timer and the signal listener. */
  endDeadline(): void;
}

/** Reaps the child, and kills it on timeoutMs or the signal; set up before anything can block. */
function watchExit(pidfd: number, options: SpawnSandboxedOptions): Watch {
  let timedOut = false;
  let aborted = false;
  let resolveExit!: (exit: ChildExit) => void;
  const exited = new Promise<ChildExit>((resolve) => (resolveExit = resolve));
  const onAbort = () => {
    aborted = true;
    watcher.kill(os.signals.SIGKILL);
  };
  const endDeadline = () => {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  };
  const watcher: NativeExitWatcher = new addon.ExitWatcher(pidfd, (exitCode, signal, cpuMs) => {
    endDeadline();
    // A child that ended by itself was not ended by the timer or the signal, even when one
    // of them fired between its exit and this reap (the kill then reached a zombie).
    const killed = signal === os.signals.SIGKILL;
    resolveExit({ exitCode, signal: signalName(signal), timedOut: timedOut && killed, aborted: aborted && killed, cpuMs });
  });
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          watcher.kill(os.signals.SIGKILL);
        }, options.timeoutMs);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  return { watcher, exited, timer, killing: () => timedOut || aborted, endDeadline };
}

/** Writes the maps (if any) and waits for the exec; a timeout or an abort ends both waits. */
async function awaitExec(
  spawned: ReturnType<typeof addon.spawn>,
  { exited, killing }: Watch,
  options: SpawnSandboxedOptions,
  mappings: IdMappings | undefined,
): Promise<void> {
  const { pid, syncFd, errorFd } = spawned;
  const mapping = syncFd >= 0 ? mapAndRelease(pid, syncFd, options.idMapper ?? defaultIdMapper, mappings!) : undefined;
  if (mapping?.done instanceof Promise) {
    const gaveUp = Symbol('exited');
    const outcome = await Promise.race([mapping.done.then(() => undefined, (error: unknown) => ({ error })), exited.then(() => gaveUp)]);
    if (outcome !== undefined) {
      mapping.close();
      addon.close(errorFd);
      const error = outcome === gaveUp ? new ReexecError('mapping', `child ${pid} exited while its id maps were written`) : (outcome as { error: unknown }).error;
      throw mappingFailure(error, pid, await exited, options);
    }
  }

  let record = readRecordSync(errorFd, Math.min(SYNC_EXEC_WAIT_MS, options.timeoutMs ?? SYNC_EXEC_WAIT_MS));
  if (record === undefined) {
    // Stopped or slow: wait on the event loop, where the timer and the signal can act. A
    // child killed before exec closes the pipe too.
    record = await readToEnd(errorFd);
    if (!parseChildFailure(record) && killing()) throw endedEarly(await exited, options, "the child's exec was awaited") ?? new ReexecError('killed', `child ${pid} was killed before its exec`);
  }
  const failure = parseChildFailure(record);
  if (failure) {
    const exit = await exited;
    const code = errnoName(failure.errno);
    throw new ReexecError('spawn', `${failure.step} failed: ${code}`, {
      step: failure.step,
      code,
      exitCode: exit.exitCode,
      signal: exit.signal,
      hint: failure.step === 'chdir' && code === 'EACCES' ? cwdHint(options) : undefined,
    });
  }
}

function cwdHint(options: SpawnSandboxedOptions): string {
  return `The child cannot enter the cwd ${options.cwd}: it runs as the mapped host id, which may not search a directory on that path. Give a cwd it can enter (or "/").`;
}

async function supervise(
  spawned: ReturnType<typeof addon.spawn>,
  parentEnds: (number | null)[],
  options: SpawnSandboxedOptions,
  mappings: IdMappings | undefined,
): Promise<SandboxedChild> {
  const { pid } = spawned;
  const watch = watchExit(spawned.pidfd, options);
  const { watcher, exited, timer } = watch;

  // manualStart: read only once the caller consumes. A socket that starts reading at once
  // can hit EOF while the id maps and the error pipe are awaited below, and then emits
  // 'end' before the caller could listen: a quiet, quickly exiting child's stderr never ends.
  const streams = parentEnds.map((fd, i) =>
    fd === null ? null : new Socket({ fd, readable: i !== 0, writable: i === 0 || i > 2, manualStart: true } as SocketConstructorOpts),
  );
  const destroyStreams = () => streams.forEach((s) => s?.destroy());

  try {
    await awaitExec(spawned, watch, options, mappings);
  } catch (error) {
    watcher.kill(os.signals.SIGKILL);
    await exited;
    destroyStreams();
    throw error;
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
    endDeadline: watch.endDeadline,
    ref: () => {
      watcher.ref();
      timer?.ref();
      streams.forEach((s) => s?.ref());
    },
  };
}
