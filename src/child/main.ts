// The program the sandbox layer execs: argv[0] is the id, fd 3 the control socket, fd 4
// the log socket, fds 5.. the passed files. It loads everything it will need before any
// chroot (after it, there is no node_modules and no /proc), then runs the action.
// A prewarmed child (argv: PREWARM_FLAG module level) prepares and warms up first, reports
// ready, and then gets its files as fds over the control socket, with the job in the same message.
import { closeSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';

import type { Logger } from 'pino';

import { addon, loadAddon } from '../native/addon.js';
import { chroot, installSeccomp, landlockEnforce, landlockPrepare, pivotRoot } from '../native/in-child.js';
import { encodeFrame, readFrameSync, writeFrameSync } from '../protocol/frames.js';
import { CONTROL_FD, FIRST_FILE_FD, LOG_FD, PREWARM_FLAG, type ChildTimings, type FailurePhase, type JobMessage } from '../protocol/messages.js';
import { serializeError } from '../protocol/serialized-error.js';
import { markChildRuntime } from '../sandbox/prewarm.js';
import { lookup } from '../sandbox/registry.js';
import type { Registration } from '../sandbox/types.js';
import { ControlChannel } from './control.js';
import { createChildLogger } from './logger.js';
import { watchStdio } from './stdio.js';

class PhaseError extends Error {
  constructor(readonly phase: FailurePhase, readonly error: unknown) {
    super(String(error));
  }
}

async function phase<T>(name: FailurePhase, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw new PhaseError(name, error);
  }
}

/** ms since the process started; process.uptime() spares loading perf_hooks for `performance`. */
const now = () => process.uptime() * 1000;
const runtimeLoaded = now();

/**
 * Node writes its compile cache at a normal exit, which this child never has (exitNow),
 * and after a chroot the directory is out of reach: write it now, while it is not.
 */
function flushCompileCache(): void {
  if (process.env.NODE_COMPILE_CACHE === undefined) return;
  const { flushCompileCache: flush } = createRequire(import.meta.url)('node:module') as { flushCompileCache?: () => void };
  flush?.();
}

interface Prepared {
  registration: Registration;
  logger: Logger;
}

/** What a job needs before it can run: the registering module imported, the logger made. */
async function prepare(module: string, logLevel: string): Promise<Prepared> {
  const id = process.argv0;
  markChildRuntime();
  await phase('import', () => import(module));
  flushCompileCache();
  const registration = lookup(id);
  if (!registration) throw new PhaseError('unregistered', new Error(`unregistered command: ${id} (${module} did not register it in the child)`));
  return { registration, logger: createChildLogger(LOG_FD, logLevel) };
}

async function runJob(job: JobMessage, prepared: Prepared, fds: readonly number[], timings: ChildTimings): Promise<unknown> {
  const { registration, logger } = prepared;
  if (logger.level !== job.logLevel) logger.level = job.logLevel;
  // Landlock's rules hold inodes, opened (inside the chroot dir) while /proc is still
  // reachable; it is enforced after the root change (a Landlock domain may not
  // pivot_root), and the filter last, since it refuses chroot and mount.
  const { landlock } = job;
  if (landlock) await phase('contain', () => landlockPrepare(job.chrootDir ?? '/', landlock.read, landlock.write));
  if (job.chrootDir !== undefined) {
    await phase('chroot', () => (job.pivotRoot ? pivotRoot(job.chrootDir!) : chroot(job.chrootDir!)));
  }
  timings.rootChanged = now();
  if (landlock) await phase('contain', () => landlockEnforce());
  if (job.seccomp) await phase('contain', () => installSeccomp());
  timings.contained = now();
  const files = job.files.map((path, i) => ({ fd: fds[i]!, path }));
  const value = await phase('run', () => registration.action(logger, files, ...job.args));
  logger.flush();
  timings.actionDone = now();
  return value;
}

const noTimings = (): ChildTimings => ({ runtimeLoaded, jobReceived: 0, moduleImported: 0, rootChanged: 0, contained: 0, actionDone: 0 });

/**
 * A prewarmed child runs the code of a call once, on throwaway objects, while it waits:
 * V8 compiles a function when it first runs, and a call that meets the job reader, pino's
 * write path, the job runner and the report cold pays ≈ 1.5 ms more for it. Nothing of
 * this reaches the call: the job has no chroot, no filter and an action of its own, its
 * logger writes to /dev/null, its frames go through a socketpair closed afterwards. It is
 * only an optimisation: should any of it fail, the child serves its call without it.
 */
async function warmUp(warm: Registration['warmUp']): Promise<void> {
  try {
    await dryCall(warm);
    collectGarbage();
  } catch {
    // The call runs on colder code; nothing of the dry call is left for it to read.
  }
}

async function dryCall(warm: Registration['warmUp']): Promise<void> {
  const opened: number[] = [];
  try {
    const devNull = openSync('/dev/null', 'w');
    opened.push(devNull);
    const [ours, theirs] = addon.socketpair();
    opened.push(ours, theirs);
    const dry: JobMessage = { type: 'job', module: '', args: [], files: [], seccomp: false, logLevel: 'info' };
    addon.sendFds(ours, [], encodeFrame(dry, 'json'));
    const job = readFrameSync(theirs, addon.recvFds(theirs)!.data) as JobMessage;
    const registration: Registration = { id: 'warm-up', module: '', action: warm ?? ((logger) => logger.child({ warmUp: true }).info('warm-up')) };
    const timings = noTimings();
    const value = await runJob(job, { registration, logger: createChildLogger(devNull, 'info') }, [], timings);
    writeFrameSync(ours, encodeFrame({ type: 'done', value, timings }, 'json'));
    readFrameSync(theirs);
  } finally {
    for (const fd of opened) closeSync(fd);
  }
}

/**
 * A full collection while idle: the imports and the warm-up leave the young generation
 * nearly full, and the scavenge a call's first allocations would then set off costs it
 * 1.5-3 ms. `gc` exists only in a context made while --expose-gc is set: one throwaway
 * context, the flag cleared again right after (no V8 flag is given at start, which would
 * cost every start the builtins' code cache).
 */
function collectGarbage(): void {
  const load = createRequire(import.meta.url);
  const { setFlagsFromString } = load('node:v8') as typeof import('node:v8');
  const { runInNewContext } = load('node:vm') as typeof import('node:vm');
  setFlagsFromString('--expose-gc');
  try {
    (runInNewContext('gc') as () => void)();
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

async function serve(control: ControlChannel, prewarm: { module: string; level: string } | undefined): Promise<void> {
  let job: JobMessage;
  let prepared: Prepared;
  let fds: readonly number[];
  let timings: ChildTimings;
  if (prewarm) {
    prepared = await prepare(prewarm.module, prewarm.level);
    const moduleImported = now();
    await warmUp(prepared.registration.warmUp);
    control.report({ type: 'ready' });
    const received = addon.recvFds(CONTROL_FD);
    if (received === null) return addon.exitNow(0); // the pool was closed: nothing to do
    fds = received.fds;
    job = control.nextJob(received.data);
    timings = { ...noTimings(), jobReceived: now(), moduleImported };
  } else {
    job = control.nextJob();
    if (job.addon !== undefined) await phase('addon', () => loadAddon(job.addon));
    timings = { ...noTimings(), jobReceived: now() };
    prepared = await prepare(job.module, job.logLevel);
    timings.moduleImported = now();
    fds = job.files.map((_, i) => FIRST_FILE_FD + i);
  }
  const value = await runJob(job, prepared, fds, timings);
  try {
    control.report({ type: 'done', value, timings });
  } catch (error) {
    control.report({ type: 'failed', phase: 'serialize', error: serializeError(error) });
  }
}

function prewarmArgs(): { module: string; level: string } | undefined {
  const at = process.argv.indexOf(PREWARM_FLAG);
  if (at < 0) return undefined;
  const [module, level] = process.argv.slice(at + 1, at + 3);
  return module && level ? { module, level } : undefined;
}

async function main(): Promise<void> {
  const control = new ControlChannel();
  const stdio = watchStdio();
  try {
    await serve(control, prewarmArgs());
  } catch (error) {
    const failure = error instanceof PhaseError ? error : new PhaseError('run', error);
    control.report({ type: 'failed', phase: failure.phase, error: serializeError(failure.error) });
  }
  await stdio.flush();
  // Everything is flushed: Node's teardown (exit handlers, freeing the heap) would only
  // delay the host, which resolves once the streams end.
  addon.exitNow(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`reexecer child: ${(error as Error)?.stack ?? error}\n`);
  process.exit(70);
});
