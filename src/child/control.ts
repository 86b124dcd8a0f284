import { fstatSync } from 'node:fs';

import { encodeFrame, readFrameSync, writeFrameSync } from '../protocol/frames.js';
import { CONTROL_FD, type JobMessage, type ReadyMessage, type ResultMessage } from '../protocol/messages.js';

/**
 * The child's end of the control socket: one job in, one result out, with blocking reads
 * and writes on the fd (net.Socket would load net and streams for nothing).
 */
export class ControlChannel {
  constructor() {
    let socket = false;
    try {
      socket = fstatSync(CONTROL_FD).isSocket();
    } catch {
      // not open
    }
    if (!socket) {
      process.stderr.write(`This is reexecer's child runtime: the sandbox layer starts it with a control socket on fd ${CONTROL_FD}. Run your program instead.\n`);
      process.exit(64);
    }
  }

  /**
   * The job (its first bytes in `head` when they came with passed fds); a parent that
   * closed the channel without one gets exit code 70 and no report.
   */
  nextJob(head?: Buffer): JobMessage {
    let job: JobMessage | undefined;
    try {
      job = readFrameSync(CONTROL_FD, head) as JobMessage | undefined;
    } catch (error) {
      // Not the plugin's failure: the channel itself is broken, as when it closed early.
      process.stderr.write(`reexecer child: the job on the control channel is not a message: ${(error as Error).message}\n`);
      process.exit(70);
    }
    if (job?.type === 'job') return job;
    process.stderr.write('reexecer child: the parent closed the control channel before sending a job\n');
    process.exit(70);
  }

  /** A value goes through the v8 serializer (which throws for what it cannot carry); nothing else needs it. */
  report(result: ResultMessage | ReadyMessage): void {
    const plain = result.type === 'done' && result.value === undefined;
    writeFrameSync(CONTROL_FD, encodeFrame(result, plain ? 'json' : 'v8'));
  }
}
