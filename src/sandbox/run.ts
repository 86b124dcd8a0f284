import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';

import { ReexecError } from '../errors.js';
import type { IdMapper } from '../native/id-mapper.js';
import type { IdMappings } from '../native/id-mappings.js';
import { spawnWith, type Namespace, type SandboxedChild } from '../native/spawn.js';
import { encodeFrame, FrameTooLargeError, readFrames } from '../protocol/frames.js';
import type { ChildTimings, JobMessage, ResultMessage } from '../protocol/messages.js';
import { CHILD_ENTRY, childEnv, childExecArgv } from './child-entry.js';
import { collect, MaxBufferError } from './collect.js';
import { openExtraFiles } from './extra-files.js';
import { failure, type Outcome } from './failure.js';
import { quietFor } from './quiet.js';
import { relog, relayLogger } from './relog.js';
import type { Registration } from './types.js';

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
  env?: Readonly<Record<string, string | undefined>>;
  maxBuffer?: number;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface RunResult {
  value: unknown;
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number | null;
  durationMs: number;
  /** Where the child's time went, in ms since its process start. */
  timings: ChildTimings;
  /** ms from the call until the child was exec'd (maps written). */
  spawnedMs: number;
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
    control.on('close', () => resolve(result));
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

interface Attended extends Outcome {
  stdout: Buffer;
}

/** Sends the job, feeds stdin, relays logs and gathers output and result until the child is done. */
async function attend(child: SandboxedChild, job: JobMessage, spec: RunSpec, logger: Logger, id: string, maxBuffer: number): Promise<Attended> {
  const [control, log] = child.extraFds as [Socket, Socket];
  control.on('error', () => control.destroy()); // a child that died early: the exit says why
  control.write(encodeFrame(job, 'json'));
  let stdinError: Error | undefined;
  feedStdin(child, spec.stdin, (error) => {
    stdinError ??= error;
    child.kill('SIGKILL');
  });

  let overflow: MaxBufferError | undefined;
  const overflowed = (error: MaxBufferError) => {
    overflow ??= error;
    child.kill('SIGKILL');
  };
  const gather = (stream: Readable, name: string) =>
    collect(stream, name, maxBuffer).catch((error: unknown) => {
      if (!(error instanceof MaxBufferError)) throw error;
      overflowed(error);
      return Buffer.alloc(0);
    });
  const streams = Promise.all([gather(child.stdout!, 'stdout'), gather(child.stderr!, 'stderr'), readResult(control, maxBuffer, overflowed), relog(log, relayLogger(logger, id, child.pid))]);
  const exit = await child.exited;
  const grace = quietFor(STREAM_GRACE_MS, [child.stdout, child.stderr, control, log]);
  const settled = await Promise.race([streams, grace.quiet.then(() => undefined)]);
  grace.cancel();
  if (!settled) [child.stdout, child.stderr, control, log].forEach((s) => s?.destroy());
  const [stdout, stderr, result] = settled ?? (await streams);
  return { exit, result, stdout, stderr, overflow, stdinError };
}

/** Runs a registered action in a new child: spawn, send the job, relay logs, gather the result. */
export async function runSandboxed(registration: Registration, spec: RunSpec, logger: Logger): Promise<RunResult> {
  const started = performance.now();
  const { id } = registration;
  const chrootDir = spec.chrootDir === undefined ? undefined : checkChrootDir(spec.chrootDir);
  const namespaces = new Set(spec.namespaces ?? []);
  if (spec.pivotRoot) {
    if (chrootDir === undefined) throw new ReexecError('invalid-options', 'pivotRoot needs a chroot dir');
    namespaces.add('mount');
  }
  const maxBuffer = spec.maxBuffer ?? DEFAULT_MAX_BUFFER;
  const files = openExtraFiles(spec.extraFiles ?? [], spec.allowDirectories ?? false);

  let child: SandboxedChild;
  try {
    child = await spawnWith({
      file: process.execPath,
      argv0: id,
      args: [...childExecArgv(), CHILD_ENTRY],
      env: childEnv(spec.env),
      cwd: process.cwd(),
      namespaces: [...namespaces],
      idMappings: spec.idMappings,
      idMapper: spec.idMapper,
      dangerouslyMapHostRoot: spec.dangerouslyMapHostRoot,
      hostname: spec.hostname,
      noNewPrivileges: spec.noNewPrivileges,
      // A Node pid 1 reaps only what it spawned: orphans of the plugin's own children would stay zombies.
      init: namespaces.has('pid'),
      stdio: [spec.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      extraFds: ['pipe', 'pipe', ...files.fds],
      signal: spec.signal,
      timeoutMs: spec.timeoutMs,
    }, { cwdOrRoot: true });
  } finally {
    files.close();
  }
  const spawnedMs = performance.now() - started;

  let attended: Attended;
  try {
    const args = [...(spec.args ?? [])];
    const job: JobMessage = { type: 'job', module: registration.module, args, files: files.paths, chrootDir, pivotRoot: spec.pivotRoot, logLevel: logger.level };
    attended = await attend(child, job, spec, logger, id, maxBuffer);
  } catch (error) {
    // Whatever threw (a wrongly typed args or stdin, say) must not leave the child running
    // with its fds open.
    child.kill('SIGKILL');
    [child.stdin, child.stdout, child.stderr, ...child.extraFds].forEach((s) => s?.destroy());
    await child.exited;
    throw error;
  }
  const { exit, result, stdout, stderr } = attended;
  const error = failure(id, spec, attended, namespaces.has('user'));
  if (error) throw error;
  const done = result as Extract<ResultMessage, { type: 'done' }>;
  return { value: done.value, stdout, stderr, exitCode: exit.exitCode, durationMs: performance.now() - started, timings: done.timings, spawnedMs };
}
