import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';

import { ReexecError } from '../errors.js';
import type { IdMapper } from '../native/id-mapper.js';
import type { IdMappings } from '../native/id-mappings.js';
import { loadAddon } from '../native/addon.js';
import { requireLandlock } from '../native/landlock-abi.js';
import type { LandlockOption } from '../native/landlock.js';
import type { Limits } from '../native/limits.js';
import { spawnWith, type ChildExit, type Namespace, type SandboxedChild } from '../native/spawn.js';
import { encodeFrame, FrameTooLargeError, readFrames } from '../protocol/frames.js';
import type { ChildTimings, JobMessage, ResultMessage } from '../protocol/messages.js';
import { collect, ended, MaxBufferError } from './collect.js';
import { environment } from './environment.js';
import { openExtraFiles } from './extra-files.js';
import { failure } from './failure.js';
import { quietFor } from './quiet.js';
import { relog, relayLogger } from './relog.js';
import type { Pools } from './pool.js';
import type { Registration } from './types.js';
import type { WarmChild } from './warm-child.js';

export { createPools } from './pool.js';

/** Everything one run can ask for; the sandbox and plugin layers each expose a part. */
export interface RunSpec {
  args?: readonly string[];
  stdin?: Readable | Buffer | string;
  extraFiles?: readonly string[];
  allowDirectories?: boolean;
  chrootDir?: string;
  /** pivot_root instead of chroot (adds a mount namespace). */
  pivotRoot?: boolean;
  namespaces?: readonly Namespace[];
  idMappings?: IdMappings;
  idMapper?: IdMapper;
  dangerouslyMapHostRoot?: boolean;
  hostname?: string;
  noNewPrivileges?: boolean;
  /** rlimits for the child (see Limits); a child stopped by one fails with kind 'limit'. */
  limits?: Limits;
  /** false turns the default seccomp filter off. */
  seccomp?: boolean;
  /** Only these trees (as the sandbox sees them) are accessible; needs Landlock ABI >= 6. */
  landlock?: LandlockOption;
  env?: Readonly<Record<string, string | undefined>>;
  maxBuffer?: number;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface RunResult {
  value: unknown;
  stdout: Buffer;
  stderr: Buffer;
  /**
   * 0 when the child reported its result and closed its streams: the run is decided then
   * and the exit (which exitNow makes 0) is reaped in the background.
   */
  exitCode: number | null;
  durationMs: number;
  /** Where the child's time went, in ms since its process start. */
  timings: ChildTimings;
  /** ms from the call until the child was exec'd (maps written); 0 for a prewarmed child. */
  spawnedMs: number;
  /** A prewarmed child served the call. */
  warm: boolean;
}

export const DEFAULT_MAX_BUFFER = 100 * 1024 * 1024;
/** How long streams may stay silent and open after the child exited (a grandchild holding them). */
const STREAM_GRACE_MS = 1000;

function checkChrootDir(dir: string): string {
  const absolute = resolve(dir);
  let isDir: boolean;
  try {
    isDir = statSync(absolute).isDirectory();
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new ReexecError('chroot', `chroot dir ${absolute}: ${e.code === 'ENOENT' ? 'no such file or directory' : e.message}`, { cause: error, code: e.code });
  }
  if (!isDir) throw new ReexecError('chroot', `chroot dir ${absolute} is not a directory`, { code: 'ENOTDIR' });
  return absolute;
}

/** The trees as the child gets them, once the kernel is known to enforce them (the child resolves each inside its root). */
function landlockTrees(id: string, landlock: LandlockOption | undefined): JobMessage['landlock'] {
  if (!landlock) return undefined;
  requireLandlock(`sandbox "${id}"`);
  return { read: [...(landlock.read ?? [])], write: [...(landlock.write ?? [])] };
}

/** The result frame, which may not be larger than maxBuffer (onOverflow is told, the read stops). */
function readResult(control: Socket, maxBuffer: number, onOverflow: (error: MaxBufferError) => void): Promise<ResultMessage | undefined> {
  return new Promise((resolve) => {
    let result: ResultMessage | undefined;
    readFrames(
      control,
      (message) => (result = message as ResultMessage),
      (error) => {
        if (error instanceof FrameTooLargeError) onOverflow(new MaxBufferError('result', maxBuffer));
        control.destroy();
      },
      maxBuffer,
    );
    void ended(control).then(() => resolve(result));
  });
}

/** Feeds the child's stdin; a failing source stream is reported through onError. */
function feedStdin(child: SandboxedChild, stdin: RunSpec['stdin'], onError: (error: Error) => void): void {
  if (!child.stdin) return;
  if (stdin === undefined) child.stdin.end();
  else if (typeof stdin === 'string' || Buffer.isBuffer(stdin)) child.stdin.end(stdin);
  else {
    stdin.once('error', (error) => {
      stdin.unpipe(child.stdin!);
      child.stdin!.destroy();
      onError(error);
    });
    stdin.pipe(child.stdin);
  }
}

/** What a run checks before it takes or spawns a child. */
function checkRun(spec: RunSpec): { chrootDir: string | undefined; maxBuffer: number } {
  const chrootDir = spec.chrootDir === undefined ? undefined : checkChrootDir(spec.chrootDir);
  if (spec.pivotRoot && chrootDir === undefined) throw new ReexecError('invalid-options', 'pivotRoot needs a chroot dir');
  const maxBuffer = spec.maxBuffer ?? DEFAULT_MAX_BUFFER;
  return { chrootDir, maxBuffer };
}

/** A child that has its job: what the parent gathers until the run is decided. */
export interface Serving {
  child: SandboxedChild;
  control: Socket;
  log: Socket;
  result: Promise<ResultMessage | undefined>;
  exited: Promise<ChildExit>;
  /** A result frame over maxBuffer, told by the frame reader. */
  overflow?: () => MaxBufferError | undefined;
  /** Drops the call's timeout and signal listener once the run is decided before the exit. */
  endDeadline(): void;
}

/**
 * Runs a registered action in a child: a prewarmed one from `pools` when one was started
 * in this call's environment, else a new one. Sends the job, relays logs, gathers the result.
 */
export async function runSandboxed(registration: Registration, spec: RunSpec, logger: Logger, pools?: Pools): Promise<RunResult> {
  const started = performance.now();
  const { id } = registration;
  const { chrootDir, maxBuffer } = checkRun(spec);
  const env = environment(id, spec);
  const landlock = landlockTrees(id, spec.landlock);
  // seccomp(2) and landlock_restrict_self want no_new_privs or CAP_SYS_ADMIN in the child's
  // user namespace (root of a new one, or host root); turning the first off needs the second.
  if (spec.noNewPrivileges === false && (spec.seccomp !== false || landlock) && !env.namespaces.has('user') && process.geteuid?.() !== 0)
    throw new ReexecError(
      'invalid-options',
      `sandbox "${id}": noNewPrivileges: false leaves the seccomp filter${landlock ? ' and landlock' : ''} without no_new_privs, which they need unless the child is root of a user namespace: add one (cloneUserns / userns), or seccomp: false`,
    );
  const files = openExtraFiles(spec.extraFiles ?? [], spec.allowDirectories ?? false);
  const job: JobMessage = {
    type: 'job',
    module: registration.module,
    args: [...(spec.args ?? [])],
    files: files.paths,
    chrootDir,
    pivotRoot: spec.pivotRoot,
    seccomp: spec.seccomp !== false,
    landlock,
    logLevel: logger.level,
  };

  let warm: WarmChild | undefined;
  try {
    warm = pools?.take(id, env, files.fds.length, spec.signal);
  } catch (error) {
    files.close();
    throw error;
  }
  if (warm) {
    let serving: Serving;
    try {
      serving = warm.serve(job, files.fds, spec, maxBuffer);
    } finally {
      files.close();
    }
    return attend(id, spec, serving, { logger, maxBuffer, started, spawnedMs: 0, warm: true, userns: env.namespaces.has('user') });
  }

  // A cold child loads the binary its host loaded (a warm one has it loaded already).
  job.addon = loadAddon().path;
  let child: SandboxedChild;
  try {
    child = await spawnWith(
      {
        ...env.spawn,
        stdio: [spec.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        extraFds: ['pipe', 'pipe', ...files.fds],
        signal: spec.signal,
        timeoutMs: spec.timeoutMs,
      },
      { cwdOrRoot: true },
    );
  } finally {
    files.close();
  }
  const spawnedMs = performance.now() - started;

  const [control, log] = child.extraFds as [Socket, Socket];
  let overflow: MaxBufferError | undefined;
  const serving: Serving = {
    child,
    control,
    log,
    result: readResult(control, maxBuffer, (error) => {
      overflow ??= error;
      child.kill('SIGKILL');
    }),
    exited: child.exited,
    endDeadline: () => child.endDeadline(),
    overflow: () => overflow,
  };
  return attend(id, spec, serving, { logger, maxBuffer, started, spawnedMs, warm: false, userns: env.namespaces.has('user') }, () => {
    control.on('error', () => control.destroy()); // a child that died early: the exit says why
    control.write(encodeFrame(job, 'json'));
  });
}

/**
 * Hands the child its job (`send`) and stdin, then gathers. Whatever throws on the way (a
 * stdin of a wrong type, say) must not leave the child running with its fds open.
 */
async function attend(id: string, spec: RunSpec, serving: Serving, context: GatherContext, send = () => {}): Promise<RunResult> {
  const { child } = serving;
  let stdinError: Error | undefined;
  try {
    send();
    feedStdin(child, spec.stdin, (error) => {
      stdinError ??= error;
      child.kill('SIGKILL');
    });
  } catch (error) {
    child.kill('SIGKILL');
    [child.stdin, child.stdout, child.stderr, serving.control, serving.log].forEach((s) => s?.destroy());
    await serving.exited;
    throw error;
  }
  return gather(id, spec, serving, context, () => stdinError);
}

interface GatherContext {
  logger: Logger;
  maxBuffer: number;
  started: number;
  spawnedMs: number;
  warm: boolean;
  userns: boolean;
}

/** Collects stdout, stderr, logs and the result frame until the child exited; the error it means, or the result. */
async function gather(id: string, spec: RunSpec, serving: Serving, context: GatherContext, stdinError: () => Error | undefined): Promise<RunResult> {
  const { child, control, log } = serving;
  let overflow: MaxBufferError | undefined;
  const collectOne = (stream: Readable, name: string) =>
    collect(stream, name, context.maxBuffer).catch((error: unknown) => {
      if (!(error instanceof MaxBufferError)) throw error;
      overflow ??= error;
      child.kill('SIGKILL');
      return Buffer.alloc(0);
    });
  const streams = Promise.all([collectOne(child.stdout!, 'stdout'), collectOne(child.stderr!, 'stderr'), serving.result, relog(log, relayLogger(context.logger, id, child.pid))]);
  // A child that reported success closes every stream before it exits: the run is decided
  // then, and its exit (the kernel freeing a Node process) is reaped in the background.
  const first = await Promise.race([streams, serving.exited.then(() => undefined)]);
  if (first && first[2]?.type === 'done' && !overflow && !stdinError()) {
    serving.endDeadline();
    const [stdout, stderr, done] = first;
    return success(done, stdout, stderr, 0, context);
  }
  const exit = await serving.exited;
  const grace = quietFor(STREAM_GRACE_MS, [child.stdout, child.stderr, control, log]);
  const settled = await Promise.race([streams, grace.quiet.then(() => undefined)]);
  grace.cancel();
  if (!settled) [child.stdout, child.stderr, control, log].forEach((s) => s?.destroy());
  const [stdout, stderr, result] = settled ?? (await streams);

  const error = failure(id, spec, { exit, result, stderr, overflow: overflow ?? serving.overflow?.(), stdinError: stdinError() }, context.userns);
  if (error) throw error;
  return success(result as DoneMessage, stdout, stderr, exit.exitCode, context);
}

type DoneMessage = Extract<ResultMessage, { type: 'done' }>;

function success(done: DoneMessage, stdout: Buffer, stderr: Buffer, exitCode: number | null, context: GatherContext): RunResult {
  const { started, spawnedMs, warm } = context;
  return { value: done.value, stdout, stderr, exitCode, durationMs: performance.now() - started, timings: done.timings, spawnedMs, warm };
}
