import { Socket } from 'node:net';

import { encodeFrame, readFrames } from '../protocol/frames.js';
import { CONTROL_FD, type JobMessage, type ResultMessage } from '../protocol/messages.js';

/** The child's end of the control socket: one job in, one result out. */
export class ControlChannel {
  private readonly socket: Socket;

  constructor() {
    try {
      this.socket = new Socket({ fd: CONTROL_FD, readable: true, writable: true });
    } catch {
      process.stderr.write(`This is reexecer's child runtime: the sandbox layer starts it with a control socket on fd ${CONTROL_FD}. Run your program instead.\n`);
      process.exit(64);
    }
  }

  nextJob(): Promise<JobMessage> {
    return new Promise((resolve, reject) => {
      readFrames(
        this.socket,
        (message) => {
          this.socket.pause();
          resolve(message as JobMessage);
        },
        reject,
      );
      this.socket.once('end', () => reject(new Error('the parent closed the control channel before sending a job')));
    });
  }

  /** Resolves once the result is handed to the kernel, so an exit right after loses nothing. */
  report(result: ResultMessage): Promise<void> {
    return new Promise((resolve) => this.socket.end(encodeFrame(result), () => resolve()));
  }
}
