import { closeSync } from 'node:fs';
import { Socket } from 'node:net';

import { ReexecError } from '../errors.js';
import { addon } from '../native/addon.js';
import { spawnWith, type ChildExit, type SandboxedChild } from '../native/spawn.js';
import { encodeFrame, FrameTooLargeError, MAX_FRAME, readFrames } from '../protocol/frames.js';
import { PREWARM_FLAG, type JobMessage, type ReadyMessage, type ResultMessage } from '../protocol/messages.js';
import { collect, ended, MaxBufferError } from './collect.js';
import { deadline } from './deadline.js';
import type { Environment } from './environment.js';
import { failure } from './failure.js';
import type { Serving } from './run.js';

/** What a failed start left on stderr, bounded: it goes into an error message. */
const STDERR_KEPT = 64 * 1024;

/**
 * A child started before its call, in the environment of the pool that owns it: runtime
 * loaded, module imported, logger made, blocked on the control socket. It serves one call.
 * The control socket is a socketpair of its own (not spawnSandboxed's 'pipe') because the
 * host needs its fd for sendmsg with the call's files.
 */
export class WarmChild {
  /** Resolves with the frame after 'ready' once the control socket ends (or closes without an end). */
  private readonly result: Promise<ResultMessage | undefined>;
  /** Resolves once the child reported ready; rejects with why it did not. */
  readonly ready: Promise<void>;
  /** The call's maxBuffer once it has one: its result frame may not be larger. */
  private resultCap = MAX_FRAME;
  private overflow: MaxBufferError | undefined;

  private constructor(
    readonly child: SandboxedChild,
    private readonly controlFd: number,
    private readonly control: Socket,
    private readonly log: Socket,
    id: string,
    userns: boolean,
  ) {
    let frames = 0;
    let first: ReadyMessage | ResultMessage | undefined;
    let last: ResultMessage | undefined;
    let onFirst!: (message: ReadyMessage | ResultMessage | undefined) => void;
    const firstFrame = new Promise<ReadyMessage | ResultMessage | undefined>((resolve) => (onFirst = resolve));
    const done = ended(control);
    this.result = done.then(() => last);
    void done.then(() => onFirst(first));
    control.on('error', () => control.destroy());
    readFrames(
      control,
      (message) => {
        if (frames++ === 0) onFirst((first = message as ReadyMessage | ResultMessage));
        else last = message as ResultMessage;
      },
      (error) => {
        if (error instanceof FrameTooLargeError && frames > 0) {
          this.overflow ??= new MaxBufferError('result', this.resultCap);
          child.kill('SIGKILL');
        }
        control.destroy();
      },
      () => this.resultCap,
    );
    this.ready = firstFrame.then(async (message) => {
      if (message?.type === 'ready') return;
      // Not ready: it failed (the frame says where) or died; the exit and stderr say the rest.
      child.kill('SIGKILL');
      const [exit, stderr] = await Promise.all([child.exited, collect(child.stderr!, 'stderr', STDERR_KEPT).catch(() => Buffer.alloc(0))]);
      log.destroy();
      throw failure(id, {}, { exit, result: message as ResultMessage | undefined, stderr }, userns) ?? new ReexecError('protocol', `prewarmed child for "${id}" did not report ready`);
    });
  }

  /** Spawns a child in `env` that prepares itself for a call of `id`; resolves once it runs. */
  static async spawn(id: string, env: Environment, module: string, logLevel: string): Promise<WarmChild> {
    const [mine, theirs] = addon.socketpair();
    let child: SandboxedChild;
    try {
      child = await spawnWith(
        {
          ...env.spawn,
          args: [...(env.spawn.args ?? []), PREWARM_FLAG, module, logLevel],
          // stdin is always a pipe: a call without stdin ends it, which reads as EOF like /dev/null.
          stdio: ['pipe', 'pipe', 'pipe'],
          extraFds: [theirs, 'pipe'],
        },
        { cwdOrRoot: true }, // as a cold child: "/" when the mapped ids may not enter the host's cwd
      );
    } catch (error) {
      closeSync(mine);
      throw error;
    } finally {
      closeSync(theirs);
    }
    const control = new Socket({ fd: mine, readable: true, writable: true });
    return new WarmChild(child, mine, control, child.extraFds[1]!, id, env.namespaces.has('user'));
  }

  get exited(): Promise<ChildExit> {
    return this.child.exited;
  }

  /** Idle: nothing of it keeps the host's event loop alive (it dies with the host). */
  idle(): void {
    this.child.unref();
    this.control.unref();
  }

  /** Kills it; whoever awaits the exit keeps the host alive until then (an idle child does not). */
  kill(): void {
    this.child.ref();
    this.child.kill('SIGKILL');
  }

  /** Hands the child its call: the files as fds with the job, in one message; stdin is the caller's to feed. */
  serve(job: JobMessage, fds: readonly number[], spec: { signal?: AbortSignal; timeoutMs?: number }, maxBuffer: number): Serving {
    this.resultCap = maxBuffer;
    this.child.ref();
    this.control.ref();
    try {
      const frame = encodeFrame(job, 'json');
      const sent = addon.sendFds(this.controlFd, fds, frame);
      if (sent < frame.length) this.control.write(frame.subarray(sent));
    } catch {
      // It died between being taken and now: its exit says how.
      this.control.destroy();
      this.child.kill('SIGKILL');
    }
    const { exited, end } = deadline(this.child, spec);
    return { child: this.child, control: this.control, log: this.log, result: this.result, exited, endDeadline: end, overflow: () => this.overflow };
  }
}
