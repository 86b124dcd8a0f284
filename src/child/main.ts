// The program the sandbox layer execs: argv[0] is the id, fd 3 the control socket, fd 4
// the log socket, fds 5.. the passed files. It loads everything it will need before any
// chroot (after it, there is no node_modules and no /proc), then runs the action.
import { chroot, installSeccomp, landlockEnforce, landlockPrepare, pivotRoot } from '../native/in-child.js';
import { FIRST_FILE_FD, LOG_FD, type ChildTimings, type FailurePhase, type JobMessage } from '../protocol/messages.js';
import { serializeError } from '../protocol/serialized-error.js';
import { lookup } from '../sandbox/registry.js';
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

async function runJob(job: JobMessage, timings: ChildTimings): Promise<unknown> {
  const id = process.argv0;
  await phase('import', () => import(job.module));
  timings.moduleImported = now();
  const registration = lookup(id);
  if (!registration) throw new PhaseError('unregistered', new Error(`unregistered command: ${id} (${job.module} did not register it in the child)`));
  const logger = createChildLogger(LOG_FD, job.logLevel);
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
  const files = job.files.map((path, i) => ({ fd: FIRST_FILE_FD + i, path }));
  const value = await phase('run', () => registration.action(logger, files, ...job.args));
  logger.flush();
  timings.actionDone = now();
  return value;
}

async function main(): Promise<void> {
  const control = new ControlChannel();
  const stdio = watchStdio();
  const job = control.nextJob();
  const timings: ChildTimings = { runtimeLoaded, jobReceived: now(), moduleImported: 0, rootChanged: 0, contained: 0, actionDone: 0 };
  try {
    const value = await runJob(job, timings);
    try {
      control.report({ type: 'done', value, timings });
    } catch (error) {
      control.report({ type: 'failed', phase: 'serialize', error: serializeError(error) });
    }
  } catch (error) {
    const failure = error instanceof PhaseError ? error : new PhaseError('run', error);
    control.report({ type: 'failed', phase: failure.phase, error: serializeError(failure.error) });
  }
  await stdio.flush();
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`reexecer child: ${(error as Error)?.stack ?? error}\n`);
  process.exit(70);
});
