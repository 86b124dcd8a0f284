import type { Logger } from 'pino';

/** A file the parent opened for the child; `fd` stays usable after a chroot. */
export interface SandboxFile {
  fd: number;
  path: string;
}

/** What runs in the child. Its return value is discarded by `reexec` (GrootFS returns only an error). */
export type Action = (logger: Logger, files: SandboxFile[], ...args: string[]) => void | Promise<void>;

/** An action as the child runtime calls it: plugins return a value. */
export type AnyAction = (logger: Logger, files: SandboxFile[], ...args: string[]) => unknown;

export interface Registration {
  id: string;
  action: AnyAction;
  /** URL of the module whose import registers `id`. */
  module: string;
  /**
   * Run by a prewarmed child while it waits, with a logger to /dev/null and no files or
   * args, in place of the action: code of the action's own path (not the action itself)
   * that V8 then has compiled when the call comes.
   */
  warmUp?: AnyAction;
}
