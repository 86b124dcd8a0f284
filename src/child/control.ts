import { Socket } from 'node:net';

import { encodeFrame, readFrames } from '../protocol/frames.js';
import { CONTROL_FD, type JobMessage, type ResultMessage } from '../protocol/messages.js';

/** The child's end of the control socket: one job in, one result out. */
export class ControlChannel {
  private readonly socket = new Socket({ fd: CONTROL_FD, readable: true, writable: true });

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
