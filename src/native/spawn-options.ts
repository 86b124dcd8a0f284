import { invalidOptions } from '../errors.js';
import { CLONE_FLAGS } from './addon.js';
import type { IdMapper } from './id-mapper.js';
import type { IdMappings } from './id-mappings.js';
import { validateLimits, type Limits } from './limits.js';

export type Namespace = keyof typeof CLONE_FLAGS;
export const NAMESPACES = Object.keys(CLONE_FLAGS) as Namespace[];

/** 'pipe': a new pipe, its other end in the handle; 'inherit': the parent's; 'ignore': /dev/null; a number: that fd. */
export type StdioOption = 'pipe' | 'inherit' | 'ignore' | number;
/** 'pipe': a new socketpair (duplex), its other end in the handle; a number: that fd of the parent. */
export type ExtraFdOption = 'pipe' | number;

export interface SpawnSandboxedOptions {
  /** Absolute path, or a name looked up in PATH (the child's `env.PATH`, else the parent's). */
  file: string;
  args?: readonly string[];
  /** The child's argv[0]; by default `file`. */
  argv0?: string;
  /** The child's whole environment: nothing of the parent's reaches it otherwise. */
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  namespaces?: readonly Namespace[];
  /** With a user namespace; by default the caller's own uid and gid become 0. */
  idMappings?: IdMappings;
  idMapper?: IdMapper;
  /** Ids to take inside (default 0 with a user namespace, unchanged without). */
  uid?: number;
  gid?: number;
  /** Needs the `uts` namespace. */
  hostname?: string;
  noNewPrivileges?: boolean;
  /** rlimits set just before exec; `processes` needs the user namespace (see README). */
  limits?: Limits;
  /** Landlock scoping (ABI >= 6): the child cannot signal or reach abstract unix sockets outside. */
  landlockScope?: boolean;
  stdio?: readonly [StdioOption, StdioOption, StdioOption];
  /** Become fds 3, 4, ... in the child. */
  extraFds?: readonly ExtraFdOption[];
  /** Abort kills the child with SIGKILL (with a PID namespace, its whole tree). */
  signal?: AbortSignal;
  timeoutMs?: number;
}

const MAX_CHILD_FDS = 256;

/** Rejects what the kernel or the addon would refuse, saying what to give instead. */
export function validateSpawnOptions(options: SpawnSandboxedOptions): void {
  if (typeof options?.file !== 'string' || options.file === '') throw invalidOptions('file must be a non-empty string naming the program to execute');
  for (const ns of options.namespaces ?? [])
    if (!NAMESPACES.includes(ns)) throw invalidOptions(`unknown namespace ${JSON.stringify(ns)}: use ${NAMESPACES.join(', ')}`);
  const has = (ns: Namespace) => options.namespaces?.includes(ns) ?? false;
  if (options.hostname !== undefined && !has('uts')) throw invalidOptions('hostname needs the uts namespace: add "uts" to namespaces');
  if (options.idMappings !== undefined && !has('user')) throw invalidOptions('idMappings need the user namespace: add "user" to namespaces');
  for (const key of ['uid', 'gid'] as const) {
    const v = options[key];
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 0xffff_fffe)) throw invalidOptions(`${key} must be an id between 0 and 4294967294`);
  }
  if ((options.uid === undefined) !== (options.gid === undefined)) throw invalidOptions('give uid and gid together');
  if (options.timeoutMs !== undefined && !(Number.isFinite(options.timeoutMs) && options.timeoutMs > 0))
    throw invalidOptions('timeoutMs must be a positive number of milliseconds');
  if (options.limits !== undefined) {
    validateLimits(options.limits, 'spawn');
    // The kernel counts RLIMIT_NPROC per user per user namespace: without a new one it
    // counts every process of the host user (and never host root's).
    if (options.limits.processes !== undefined && !has('user'))
      throw invalidOptions('limits.processes needs the user namespace: the kernel counts it per user per user namespace (add "user" to namespaces)');
  }
  const fdCount = 3 + (options.extraFds?.length ?? 0);
  if (fdCount > MAX_CHILD_FDS) throw invalidOptions(`at most ${MAX_CHILD_FDS - 3} extraFds can be passed`);
  for (const v of [...(options.stdio ?? []), ...(options.extraFds ?? [])])
    if (typeof v === 'number' ? !Number.isInteger(v) || v < 0 : !['pipe', 'inherit', 'ignore'].includes(v))
      throw invalidOptions(`bad stdio or extraFds entry ${JSON.stringify(v)}: use 'pipe', 'inherit', 'ignore' or an open fd`);
  if (options.extraFds?.some((v) => (v as unknown) === 'inherit' || (v as unknown) === 'ignore'))
    throw invalidOptions("extraFds entries are 'pipe' or an open fd");
  for (const [key, value] of Object.entries(options.env ?? {}))
    if (key === '' || key.includes('=') || key.includes('\0') || value?.includes('\0'))
      throw invalidOptions(`env entry ${JSON.stringify(key)} is not a valid variable (no "=" or NUL in names, no NUL in values)`);
}

/** The child's environment as execve wants it; undefined values are left out. */
export function envArray(env: Readonly<Record<string, string | undefined>> = {}): string[] {
  return Object.entries(env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
}

