import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';

import { ReexecError } from '../errors.js';
import type { IdMapper } from '../native/id-mapper.js';
import type { IdMappings } from '../native/id-mappings.js';
import { spawnSandboxed, type Namespace, type SandboxedChild } from '../native/spawn.js';
import { encodeFrame, readFrames } from '../protocol/frames.js';
import type { ChildTimings, JobMessage, ResultMessage } from '../protocol/messages.js';
import { CHILD_ENTRY, childEnv, childExecArgv } from './child-entry.js';
import { collect, MaxBufferError } from './collect.js';
import { openExtraFiles } from './extra-files.js';
import { failure } from './failure.js';
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

function readResult(control: Socket): Promise<ResultMessage | undefined> {
  return new Promise((resolve) => {
    let result: ResultMessage | undefined;
    readFrames(
      control,
      (message) => (result = message as ResultMessage),
      () => control.destroy(),
    );
    control.on('close', () => resolve(result));
  });
}

function feedStdin(child: SandboxedChild, stdin: RunSpec['stdin']): void {
  if (!child.stdin) return;
  if (stdin === undefined) child.stdin.end();
  else if (typeof stdin === 'string' || Buffer.isBuffer(stdin)) child.stdin.end(stdin);
  else stdin.pipe(child.stdin);
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
    child = await spawnSandboxed({
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
    });
  } finally {
    files.close();
  }
  const spawnedMs = performance.now() - started;

  const [control, log] = child.extraFds as [Socket, Socket];
  const job: JobMessage = {
    type: 'job',
    module: registration.module,
    args: [...(spec.args ?? [])],
    files: files.paths,
    chrootDir,
    pivotRoot: spec.pivotRoot,
    logLevel: logger.level,
  };
  control.on('error', () => control.destroy()); // a child that died early: the exit says why
  control.write(encodeFrame(job, 'json'));
  feedStdin(child, spec.stdin);

  let overflow: MaxBufferError | undefined;
  const gather = (stream: Readable, name: string) =>
    collect(stream, name, maxBuffer).catch((error: unknown) => {
      if (!(error instanceof MaxBufferError)) throw error;
      overflow ??= error;
      child.kill('SIGKILL');
      return Buffer.alloc(0);
    });
  const streams = Promise.all([gather(child.stdout!, 'stdout'), gather(child.stderr!, 'stderr'), readResult(control), relog(log, relayLogger(logger, id, child.pid))]);
  const exit = await child.exited;
  const grace = quietFor(STREAM_GRACE_MS, [child.stdout, child.stderr, control, log]);
  const settled = await Promise.race([streams, grace.quiet.then(() => undefined)]);
  grace.cancel();
  if (!settled) [child.stdout, child.stderr, control, log].forEach((s) => s?.destroy());
  const [stdout, stderr, result] = settled ?? (await streams);

  const error = failure(id, spec, { exit, result, stderr, overflow }, namespaces.has('user'));
  if (error) throw error;
  const done = result as Extract<ResultMessage, { type: 'done' }>;
  return { value: done.value, stdout, stderr, exitCode: exit.exitCode, durationMs: performance.now() - started, timings: done.timings, spawnedMs };
}
