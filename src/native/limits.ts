import { invalidOptions, type LimitName } from '../errors.js';

/**
 * Resource limits of a sandboxed child, set as rlimits between clone and exec (so they
 * bind everything it runs). Each is per process, as the kernel counts them, except
 * `processes`, which the kernel counts per user in the child's user namespace.
 */
export interface Limits {
  /** CPU time of the child (RLIMIT_CPU, whole seconds, rounded up): SIGXCPU, then SIGKILL a second later. */
  cpuMs?: number;
  /** Private writable memory (RLIMIT_DATA), and for a Node child its heap bound to half of it. */
  memoryBytes?: number;
  /** Largest file the child may write (RLIMIT_FSIZE): SIGXFSZ, or EFBIG where that is handled. */
  fileSizeBytes?: number;
  /** Open fds, the child's own included (RLIMIT_NOFILE): EMFILE. */
  openFiles?: number;
  /** Tasks (processes and threads) of the child's uid in its user namespace (RLIMIT_NPROC): EAGAIN. */
  processes?: number;
}

export const LIMIT_KEYS = ['cpuMs', 'memoryBytes', 'fileSizeBytes', 'openFiles', 'processes'] as const;

/** What each option is called when it stops a child. */
export const LIMIT_NAMES: Record<keyof Limits, LimitName> = {
  cpuMs: 'cpu',
  memoryBytes: 'memory',
  fileSizeBytes: 'fileSize',
  openFiles: 'openFiles',
  processes: 'processes',
};

/** Below these a Node child cannot start (measured on Node 20: 48 MB of data, ~25 fds, ~11 threads). */
const MINIMUM: Record<keyof Limits, number> = {
  cpuMs: 1,
  memoryBytes: 64 * 1024 * 1024,
  fileSizeBytes: 1,
  openFiles: 32,
  processes: 16,
};

// The generic Linux numbers, the same on x86-64 and arm64.
const RLIMIT = { cpu: 0, fsize: 1, data: 2, nproc: 6, nofile: 7 } as const;

/** What is wrong with a `limits` value (the schema's check, src/options/schema.ts), or undefined. */
export function limitsProblem(limits: unknown): string | undefined {
  if (limits === null || typeof limits !== 'object' || Array.isArray(limits)) return `must be an object such as { cpuMs: 10000 }, got ${JSON.stringify(limits)}`;
  for (const [key, value] of Object.entries(limits)) {
    if (!(LIMIT_KEYS as readonly string[]).includes(key)) return `.${key} is not a limit (known: ${LIMIT_KEYS.join(', ')})`;
    if (value === undefined) continue;
    const min = MINIMUM[key as keyof Limits];
    if (!Number.isSafeInteger(value) || (value as number) < min) return `.${key} must be an integer of at least ${min}, got ${JSON.stringify(value)}`;
  }
  return undefined;
}

/** The class's limits with a call's on top: a call may lower a limit, never raise or drop it. */
export function tighterLimits(declared: Limits | undefined, call: Limits | undefined, where: string): Limits | undefined {
  if (!declared || !call) return call ?? declared;
  const merged: Limits = { ...declared };
  for (const key of LIMIT_KEYS) {
    const [own, asked] = [declared[key], call[key]];
    if (asked === undefined) continue;
    if (own !== undefined && asked > own) throw invalidOptions(`${where}: limits.${key} ${asked} is above the plugin's ${own}; a call may only lower a limit`);
    merged[key] = asked;
  }
  return merged;
}

/** [resource, soft, hard] triples for the addon; the soft CPU limit signals, the hard one a second later kills. */
export function rlimitsOf(limits: Limits | undefined): [number, number, number][] {
  if (!limits) return [];
  const out: [number, number, number][] = [];
  if (limits.cpuMs !== undefined) {
    const seconds = Math.ceil(limits.cpuMs / 1000);
    out.push([RLIMIT.cpu, seconds, seconds + 1]);
  }
  if (limits.memoryBytes !== undefined) out.push([RLIMIT.data, limits.memoryBytes, limits.memoryBytes]);
  if (limits.fileSizeBytes !== undefined) out.push([RLIMIT.fsize, limits.fileSizeBytes, limits.fileSizeBytes]);
  if (limits.openFiles !== undefined) out.push([RLIMIT.nofile, limits.openFiles, limits.openFiles]);
  if (limits.processes !== undefined) out.push([RLIMIT.nproc, limits.processes, limits.processes]);
  return out;
}

/**
 * V8's old space bound to half the memory limit, so that a growing heap ends in V8's own
 * "heap out of memory" (reported as the memory limit) before malloc starts failing inside
 * V8. The flag costs ~20 ms per start on Node 20 (its builtins are recompiled), so only a
 * child with a memory limit gets it.
 */
export function heapFlags(limits: Limits | undefined): string[] {
  if (limits?.memoryBytes === undefined) return [];
  return [`--max-old-space-size=${Math.max(16, Math.floor(limits.memoryBytes / 2 / 1024 / 1024))}`];
}
