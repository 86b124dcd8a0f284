import { ReexecError, type ReexecErrorKind } from '../errors.js';
import { LIMIT_KEYS, LIMIT_NAMES, type Limits } from '../native/limits.js';
import type { ChildExit } from '../native/spawn.js';
import type { FailurePhase, ResultMessage } from '../protocol/messages.js';
import { rebuildError } from '../protocol/serialized-error.js';
import type { MaxBufferError } from './collect.js';
import { limitHit } from './limit-failure.js';

const PHASE_KINDS: Record<FailurePhase, ReexecErrorKind> = {
  addon: 'addon-unavailable',
  import: 'plugin-threw',
  unregistered: 'unregistered',
  chroot: 'chroot',
  contain: 'spawn',
  run: 'plugin-threw',
  serialize: 'serialization',
};

function phaseMessage(id: string, phase: FailurePhase, message: string): string {
  switch (phase) {
    case 'addon':
      return `loading reexecer's addon in the child of "${id}" failed: ${message}`;
    case 'import':
      return `importing the module that registers "${id}" failed in the child: ${message}`;
    case 'unregistered':
      return message;
    case 'chroot':
    case 'contain':
      return `sandbox "${id}": ${message}`;
    case 'run':
      return `sandboxed action "${id}" threw: ${message}`;
    case 'serialize':
      return `sandboxed action "${id}" returned a value that cannot cross the process boundary: ${message}`;
  }
}

function phaseHint(phase: FailurePhase, code: unknown, userns: boolean): string | undefined {
  if (phase === 'chroot' && code === 'EPERM' && !userns)
    return 'chroot needs CAP_SYS_CHROOT: run as root, or ask for a new user namespace (cloneUserns / userns) so the child is root there.';
  if (phase === 'chroot' && code === 'EACCES')
    return 'The child cannot search a directory on the way to the chroot dir: with a user namespace it runs as the mapped host id. Make every directory on the path searchable (chmod o+x) or owned by the mapped root.';
  if (phase === 'import') return 'Everything the action needs must be importable before the chroot; check the module on its own with node.';
  return undefined;
}

export interface Outcome {
  exit: ChildExit;
  result: ResultMessage | undefined;
  stderr: Buffer;
  overflow?: MaxBufferError;
  stdinError?: Error;
}

/** The error a finished run means, or undefined for a success: the first cause wins. */
export function failure(id: string, spec: { signal?: AbortSignal; timeoutMs?: number; limits?: Limits }, outcome: Outcome, userns: boolean): ReexecError | undefined {
  const { exit, result } = outcome;
  const details = { exitCode: exit.exitCode, signal: exit.signal, stderr: outcome.stderr.toString() };
  // A child that sent its result has finished: a timer that fired during its teardown
  // (or between its exit and the reap) did not cut its work short.
  if (exit.timedOut && result?.type === 'done' && !outcome.overflow && !outcome.stdinError) return undefined;
  if (outcome.stdinError)
    return new ReexecError('stdin', `sandboxed action "${id}": its stdin stream failed (${outcome.stdinError.message}); the child was killed`, { ...details, cause: outcome.stdinError });
  if (exit.aborted) return new ReexecError('aborted', `sandboxed action "${id}" was aborted`, { ...details, cause: spec.signal?.reason });
  if (exit.timedOut) return new ReexecError('timeout', `sandboxed action "${id}" timed out after ${spec.timeoutMs} ms and was killed`, details);
  if (outcome.overflow) return new ReexecError('max-buffer', `sandboxed action "${id}": ${outcome.overflow.message}; it was killed. Raise maxBuffer or write less`, details);
  const limit = limitHit(spec.limits, exit, result, details.stderr);
  if (limit) {
    const cause = result?.type === 'failed' ? rebuildError(result.error) : undefined;
    const key = LIMIT_KEYS.find((k) => LIMIT_NAMES[k] === limit)!;
    return new ReexecError('limit', `sandboxed action "${id}" was stopped by its ${limit} limit (${key}: ${spec.limits![key]})`, { ...details, cause, limit });
  }
  if (result?.type === 'failed') {
    const cause = rebuildError(result.error);
    // A landlock tree that does not resolve inside the sandbox is the caller's mistake.
    const badTree = result.phase === 'contain' && String(result.error.fields.step ?? '').startsWith('landlock path');
    return new ReexecError(badTree ? 'invalid-options' : PHASE_KINDS[result.phase], phaseMessage(id, result.phase, result.error.message), {
      ...details,
      cause,
      code: typeof result.error.code === 'string' ? result.error.code : undefined,
      hint: phaseHint(result.phase, result.error.code, userns),
    });
  }
  if (exit.signal) return new ReexecError('killed', `sandboxed action "${id}" was killed by ${exit.signal}`, details);
  if (!result || exit.exitCode !== 0) {
    const tail = details.stderr.trim().split('\n').slice(-5).join('\n');
    return new ReexecError('plugin-threw', `sandboxed action "${id}" exited with code ${exit.exitCode} before reporting a result${tail ? `:\n${tail}` : ''}`, details);
  }
  return undefined;
}

