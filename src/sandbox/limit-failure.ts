import type { LimitName } from '../errors.js';
import { LIMIT_NAMES, type Limits } from '../native/limits.js';
import { signalName } from '../native/signals.js';
import type { ChildExit } from '../native/spawn.js';
import type { ResultMessage } from '../protocol/messages.js';

// What each limit looks like when it stops a Node child: a signal from the kernel, an
// errno (or Node's code) the plugin let escape, or V8's own report of an exhausted heap on
// stderr. Node 26 throws a failed Buffer allocation as ERR_MEMORY_ALLOCATION_FAILED.
const V8_OUT_OF_MEMORY = /JavaScript heap out of memory|Fatal process out of memory|Reached heap limit|Array buffer allocation failed|Cannot allocate memory|Failed to allocate memory/;
const ERRNO_LIMITS: Record<string, keyof Limits> = {
  EFBIG: 'fileSizeBytes',
  EMFILE: 'openFiles',
  EAGAIN: 'processes',
  ENOMEM: 'memoryBytes',
  ERR_MEMORY_ALLOCATION_FAILED: 'memoryBytes',
};

/** Which of the child's limits stopped it, if one did. */
export function limitHit(limits: Limits | undefined, exit: ChildExit, result: ResultMessage | undefined, stderr: string): LimitName | undefined {
  if (!limits) return undefined;
  // In a PID namespace the init leaves with 128 + the signal that killed the program.
  const signal = exit.signal ?? (result === undefined && exit.exitCode !== null && exit.exitCode > 128 ? signalName(exit.exitCode - 128) : null);
  if (limits.cpuMs !== undefined) {
    if (signal === 'SIGXCPU') return 'cpu';
    // The hard limit's SIGKILL, a second after a SIGXCPU the child handled or ignored.
    if (signal === 'SIGKILL' && !exit.timedOut && !exit.aborted && exit.cpuMs >= Math.ceil(limits.cpuMs / 1000) * 1000) return 'cpu';
  }
  if (limits.fileSizeBytes !== undefined && signal === 'SIGXFSZ') return 'fileSize';
  if (limits.memoryBytes !== undefined && V8_OUT_OF_MEMORY.test(stderr)) return 'memory';
  if (result?.type !== 'failed') return undefined;
  const key = typeof result.error.code === 'string' ? ERRNO_LIMITS[result.error.code] : undefined;
  if (key !== undefined && limits[key] !== undefined) return LIMIT_NAMES[key];
  if (limits.memoryBytes !== undefined && V8_OUT_OF_MEMORY.test(result.error.message)) return 'memory';
  return undefined;
}
