import type { SerializedError } from './serialized-error.js';

/** What the parent tells a started child: everything it needs for one run. */
export interface JobMessage {
  type: 'job';
  /** URL of the module that registered the id; the child imports it and nothing else. */
  module: string;
  args: string[];
  /** Paths of the files open at FIRST_FILE_FD onwards, in order. */
  files: string[];
  chrootDir?: string;
  pivotRoot?: boolean;
  /** Install the default seccomp filter after the chroot (false: the caller turned it off). */
  seccomp: boolean;
  /** Landlock trees as the sandbox sees them, enforced after the chroot. */
  landlock?: { read: string[]; write: string[] };
  logLevel: string;
  /** The addon binary the host loaded: the child loads that file instead of searching for one. */
  addon?: string;
}

/** Where the child was when it failed: tells the parent which kind of error to raise. */
export type FailurePhase = 'addon' | 'import' | 'unregistered' | 'chroot' | 'contain' | 'run' | 'serialize';

/** Milliseconds since the child's process start (performance.now() there) at each step. */
export interface ChildTimings {
  runtimeLoaded: number;
  jobReceived: number;
  moduleImported: number;
  rootChanged: number;
  /** Landlock enforced and the seccomp filter installed (as requested). */
  contained: number;
  actionDone: number;
}

export type ResultMessage =
  | { type: 'done'; value: unknown; timings: ChildTimings }
  | { type: 'failed'; phase: FailurePhase; error: SerializedError };

/** A prewarmed child's first frame: module imported, logger made, waiting for its fds and job. */
export interface ReadyMessage {
  type: 'ready';
}

/**
 * argv after the runtime's path for a prewarmed child: this flag, the module URL and the
 * log level, so that it can import and prepare before any job exists.
 */
export const PREWARM_FLAG = '--reexecer-prewarmed';

/** fds the child finds open, in this order: 0-2 stdio, then these, then the passed files. */
export const CONTROL_FD = 3;
export const LOG_FD = 4;
export const FIRST_FILE_FD = 5;
