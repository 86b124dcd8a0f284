/** What went wrong, as a machine-readable word; the message says it for people. */
export type ReexecErrorKind =
  | 'unregistered'
  | 'invalid-options'
  | 'spawn'
  | 'userns-unavailable'
  | 'mapping'
  | 'chroot'
  | 'plugin-threw'
  | 'killed'
  | 'timeout'
  | 'aborted'
  | 'serialization'
  | 'max-buffer'
  | 'protocol'
  | 'addon-unavailable'
  | 'limit'
  | 'landlock-unavailable'
  /** A layer entry could not be applied, a digest did not match, or maxBytes was reached. */
  | 'unpack'
  /** An in-child operation (chroot, pivotRoot, ...) called in a process that is no sandboxed child. */
  | 'outside-sandbox'
  /** The stdin stream given to a call failed; the child was killed. */
  | 'stdin';

/** The limit that stopped a child (see Limits). */
export type LimitName = 'cpu' | 'memory' | 'fileSize' | 'openFiles' | 'processes';

export interface ReexecErrorDetails {
  cause?: unknown;
  /** The failing step between clone and exec, or the syscall that failed. */
  step?: string;
  /** errno name such as `EPERM`, when a syscall failed. */
  code?: string;
  exitCode?: number | null;
  signal?: NodeJS.Signals | null;
  stderr?: string;
  /** Actionable advice, already part of the message. */
  hint?: string;
  /** kind 'limit': which limit stopped the child. */
  limit?: LimitName;
  /** The archive entry an 'unpack' error is about. */
  path?: string;
}

const BRAND = Symbol.for('reexecer.ReexecError');

/** The one error class of reexecer: every failure has a `kind`. */
export class ReexecError extends Error {
  /**
   * The public entry points are bundled one file each (every child start pays for its
   * imports), so a process can hold several copies of this class: instanceof checks the
   * brand, not the copy.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  override readonly name = 'ReexecError';
  readonly kind: ReexecErrorKind;
  readonly step?: string;
  readonly code?: string;
  readonly exitCode?: number | null;
  readonly signal?: NodeJS.Signals | null;
  readonly stderr?: string;
  readonly hint?: string;
  readonly limit?: LimitName;
  readonly path?: string;

  constructor(kind: ReexecErrorKind, message: string, details: ReexecErrorDetails = {}) {
    super(details.hint ? `${message}\n${details.hint}` : message, details.cause === undefined ? undefined : { cause: details.cause });
    this.kind = kind;
    Object.defineProperty(this, BRAND, { value: true });
    for (const key of ['step', 'code', 'exitCode', 'signal', 'stderr', 'hint', 'limit', 'path'] as const) {
      if (details[key] !== undefined) Object.defineProperty(this, key, { value: details[key], enumerable: true });
    }
  }
}

export function invalidOptions(message: string): ReexecError {
  return new ReexecError('invalid-options', message);
}
