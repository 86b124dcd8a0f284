// Every option of every layer, defined once. A row names one meaning; `on` says what it is
// called on each layer and how its value is checked there. Validation (validate.ts), the
// layers' TypeScript types (LayerOptions), the CLI's flags (cli.ts) and the README's table
// all come from here: adding an option is adding a row.
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';

import type { IdMapper } from '../native/id-mapper.js';
import { validateIdMappings, type IdMappings } from '../native/id-mappings.js';
import { landlockProblem, type LandlockOption } from '../native/landlock.js';
import { limitsProblem, type Limits } from '../native/limits.js';
import { MAX_PREWARM } from '../sandbox/prewarm.js';
import {
  arrayOf,
  boolean,
  check,
  either,
  env,
  instance,
  integer,
  isRecord,
  MAX_TIMEOUT_MS,
  oneOf,
  openFd,
  path,
  pattern,
  show,
  string,
  withMethods,
  type Check,
} from './checks.js';

/**
 * sandboxed: @Sandboxed({...}); call: reexecer.reexec(id, {...}); create: Reexecer.create
 * and reexecerModule; sandbox: the sandbox layer's ReexecSpec; newReexecer: its
 * newReexecer(logger, {...}); native: spawnSandboxed({...}); cli: `reexecer run` flags.
 */
export const LAYERS = ['sandboxed', 'call', 'create', 'sandbox', 'newReexecer', 'native', 'cli'] as const;
export type Layer = (typeof LAYERS)[number];

/** How a layer reads a flag from the command line; `parse` turns the text into the value checked. */
export interface CliFlag {
  type: 'string' | 'boolean';
  multiple?: boolean;
  /** Shown in the usage after the flag. */
  arg?: string;
  /** When the flag says it the other way round, as the README's table shows. */
  note?: string;
  parse?: (text: string) => unknown;
}

export interface OnLayer<N extends string = string, T = unknown, R extends boolean = boolean> {
  name: N;
  check: Check<T>;
  required: R;
  cli?: CliFlag;
}

function on<const N extends string, T>(name: N, check: Check<T>): OnLayer<N, T, false> {
  return { name, check, required: false };
}
function required<const N extends string, T>(name: N, check: Check<T>): OnLayer<N, T, true> {
  return { name, check, required: true };
}
function flag<const N extends string, T>(name: N, check: Check<T>, cli: CliFlag): OnLayer<N, T, false> {
  return { name, check, required: false, cli };
}

export interface OptionRow {
  /** What the option means, for hints and the README. */
  about: string;
  on: Partial<Record<Layer, OnLayer>>;
}

// ---------------------------------------------------------------- value checks

export const PLUGIN_NAMESPACES = ['uts', 'ipc', 'net', 'pid', 'mount'] as const;
export type PluginNamespace = (typeof PLUGIN_NAMESPACES)[number];
export const NATIVE_NAMESPACES = ['mount', 'cgroup', 'uts', 'ipc', 'user', 'pid', 'net'] as const;

/** Ids are unsigned 32-bit; 2^32-1 is the kernel's "no id". */
const ID = integer(0, 0xffff_fffe);

const idMappings = check<IdMappings>((v) => {
  if (!isRecord(v)) return `must be { uidMappings, gidMappings }, got ${show(v)}`;
  for (const key of Object.keys(v)) if (key !== 'uidMappings' && key !== 'gidMappings') return `has the unknown key ${show(key)} (use uidMappings and gidMappings)`;
  try {
    validateIdMappings(v.uidMappings as IdMappings['uidMappings'], 'uid');
    validateIdMappings(v.gidMappings as IdMappings['gidMappings'], 'gid');
  } catch (error) {
    return `is not a valid map: ${(error as Error).message}`;
  }
  return undefined;
});

/**
 * true: the default map (an unprivileged caller's own ids; root's, a block of unused host
 * ids); 'subids': own id and /etc/subuid ranges via newuidmap; or explicit maps.
 */
export type UsernsOption = boolean | 'subids' | IdMappings;
const userns = check<UsernsOption>((v) =>
  typeof v === 'boolean' || v === 'subids' ? undefined : isRecord(v) ? idMappings(v) : `must be true, false, 'subids' or { uidMappings, gidMappings }, got ${show(v)}`,
);

const stdin = check<Readable | Buffer | string>((v) =>
  typeof v === 'string' || Buffer.isBuffer(v) || (isRecord(v) && typeof v.pipe === 'function' && typeof v.on === 'function')
    ? undefined
    : `must be a Buffer, a string or a readable stream, got ${show(v)}`,
);

const signal = instance(AbortSignal, 'an AbortSignal (from an AbortController)');
const timeoutMs = integer(1, MAX_TIMEOUT_MS, ' ms');
const maxBuffer = integer(1, Number.MAX_SAFE_INTEGER, ' bytes');
const hostname = string({ nonEmpty: true, max: 64 });
const paths = arrayOf(path);
const idMapper = withMethods<IdMapper>(['mapUids', 'mapGids'], 'an IdMapper');
const logger = withMethods<Logger>(['info', 'warn', 'error', 'child'], 'a pino logger');

const prewarmCount = integer(0, MAX_PREWARM);
/** A sandbox-layer id's prewarmed children: a count (no cloneUserns, no env) or the environment they start in. */
export interface SandboxPrewarm {
  count: number;
  cloneUserns?: boolean;
  env?: Readonly<Record<string, string | undefined>>;
}
const sandboxPrewarmEntry = check<number | SandboxPrewarm>((v) => {
  if (!isRecord(v)) return prewarmCount(v);
  for (const key of Object.keys(v)) if (!['count', 'cloneUserns', 'env'].includes(key)) return `has the unknown key ${show(key)} (use count, cloneUserns, env)`;
  const bad = prewarmCount(v.count) ?? (v.cloneUserns === undefined ? undefined : boolean(v.cloneUserns)) ?? (v.env === undefined ? undefined : env(v.env));
  return bad && `{ count, cloneUserns, env }: ${bad}`;
});
/** { id: entry } with every entry checked by `entry`. */
function perId<T>(entry: Check<T>): Check<Readonly<Record<string, T>>> {
  return check((v) => {
    if (!isRecord(v)) return `must be { id: count }, got ${show(v)}`;
    for (const [id, value] of Object.entries(v)) {
      const bad = entry(value);
      if (bad) return `[${show(id)}] ${bad}`;
    }
    return undefined;
  });
}

/** stdio entries: 'pipe', 'inherit', 'ignore' or an open fd of this process. */
export type StdioOption = 'pipe' | 'inherit' | 'ignore' | number;
/** extraFds entries: 'pipe' (a socketpair) or an open fd of this process. */
export type ExtraFdOption = 'pipe' | number;
const stdioEntry = either(oneOf(['pipe', 'inherit', 'ignore'] as const), openFd, "'pipe', 'inherit', 'ignore' or an open fd") as Check<StdioOption>;
const stdio = check<readonly [StdioOption, StdioOption, StdioOption]>((v) =>
  Array.isArray(v) && v.length !== 3 ? `must have 3 entries (fds 0, 1, 2), got ${v.length}` : arrayOf(stdioEntry)(v),
);
/** A child gets at most 256 fds, stdio included (native/child_plan.h). */
export const MAX_EXTRA_FDS = 253;
const extraFds = arrayOf(either(oneOf(['pipe'] as const), openFd, "'pipe' or an open fd") as Check<ExtraFdOption>, { max: MAX_EXTRA_FDS });

const limits = check<Limits>(limitsProblem);
const landlock = check<LandlockOption>(landlockProblem);

const timeoutFlag = (text: string) => (/^\d+$/.test(text) ? Number(text) : text);
const mapFlag = (text: string) => {
  const match = /^(\d+):(\d+):(\d+)$/.exec(text);
  return match ? { namespaceId: Number(match[1]), hostId: Number(match[2]), size: Number(match[3]) } : text;
};
/** `--limit NAME=N`, repeated: the pairs, checked as one limits object. */
const limitFlag = (text: string) => {
  const match = /^([A-Za-z]+)=(\d+)$/.exec(text);
  return match ? [match[1], Number(match[2])] : text;
};
/** `--landlock read:PATH` / `write:PATH`, repeated: the pairs, checked as one landlock object. */
const landlockFlag = (text: string) => {
  const match = /^(read|write):(.*)$/s.exec(text);
  return match ? [match[1], match[2]] : text;
};
/** The pairs of repeated `--limit` flags as the limits they give. */
export function limitsFromFlags(pairs: readonly (readonly [string, number])[]): Limits {
  return Object.fromEntries(pairs) as Limits;
}
/** The pairs of repeated `--landlock` flags as the trees they give. */
export function landlockFromFlags(pairs: readonly (readonly [string, string])[]): LandlockOption {
  const trees: { read?: string[]; write?: string[] } = {};
  for (const [use, path] of pairs) (trees[use as 'read' | 'write'] ??= []).push(path);
  return trees;
}
/** Repeated NAME<sep>VALUE flags: each a pair, no name twice when `once`, then the whole as `whole` checks it. */
function pairFlags<T>(form: string, once: boolean, toValue: (pairs: never[]) => unknown, whole: (v: unknown) => string | undefined): Check<T> {
  return check((v) => {
    if (!Array.isArray(v)) return `must be given as ${form}, got ${show(v)}`;
    const names = new Set<string>();
    for (const [i, item] of v.entries()) {
      if (!Array.isArray(item)) return `[${i}] must be ${form}, got ${show(item)}`;
      if (once && names.has(item[0])) return `names ${item[0]} twice`;
      names.add(item[0]);
    }
    return whole(toValue(v as never[]));
  });
}
const limitFlags = pairFlags<readonly (readonly [string, number])[]>('NAME=N, e.g. memoryBytes=1073741824', true, limitsFromFlags, limitsProblem);
const landlockFlags = pairFlags<readonly (readonly [string, string])[]>('read:PATH or write:PATH', false, landlockFromFlags, landlockProblem);
const mapFlags = arrayOf(
  check<{ namespaceId: number; hostId: number; size: number }>((v) => (isRecord(v) ? undefined : `must be NS:HOST:SIZE, e.g. 0:100000:65536, got ${show(v)}`)),
);

// ---------------------------------------------------------------- the table

export const OPTIONS = {
  id: {
    about: "the plugin's id; becomes the child's argv[0]",
    on: { sandboxed: required('id', pattern(/^[a-z0-9][a-z0-9._-]{0,63}$/, "it becomes the child's argv[0]")) },
  },
  chrootRequired: {
    about: 'every call must give a chroot dir',
    on: { sandboxed: on('chroot', boolean) },
  },
  chrootDir: {
    about: 'the directory the child chroots into (its cwd becomes /)',
    on: { call: on('chroot', path), sandbox: on('chrootDir', path), cli: flag('chroot', path, { type: 'string', arg: 'DIR' }) },
  },
  pivotRoot: {
    about: 'pivot_root into the chroot dir in a new mount namespace, the old root detached',
    on: { sandboxed: on('pivotRoot', boolean) },
  },
  userns: {
    about: 'a new user namespace in which the child is root (true: the default map)',
    on: {
      sandboxed: on('userns', userns),
      call: on('userns', userns),
      sandbox: on('cloneUserns', boolean),
      cli: flag('userns', boolean, { type: 'boolean' }),
    },
  },
  subids: {
    about: "a user namespace with the caller's /etc/subuid and /etc/subgid ranges",
    on: { cli: flag('subids', boolean, { type: 'boolean' }) },
  },
  idMappings: {
    about: 'the maps a default user namespace gets (true / cloneUserns)',
    on: { create: on('idMappings', idMappings), newReexecer: on('idMappings', idMappings), native: on('idMappings', idMappings) },
  },
  mapUid: {
    about: 'one uid mapping (implies a user namespace)',
    on: { cli: flag('map-uid', mapFlags, { type: 'string', multiple: true, arg: 'NS:HOST:SIZE', parse: mapFlag }) },
  },
  mapGid: {
    about: 'one gid mapping',
    on: { cli: flag('map-gid', mapFlags, { type: 'string', multiple: true, arg: 'NS:HOST:SIZE', parse: mapFlag }) },
  },
  idMapper: {
    about: 'writes the maps (default: directly as root, a self map itself, else newuidmap)',
    on: { create: on('idMapper', idMapper), newReexecer: on('idMapper', idMapper), native: on('idMapper', idMapper) },
  },
  dangerouslyMapHostRoot: {
    about: 'allow a map that puts host uid or gid 0 into the namespace (never by default)',
    on: {
      create: on('dangerouslyMapHostRoot', boolean),
      newReexecer: on('dangerouslyMapHostRoot', boolean),
      native: on('dangerouslyMapHostRoot', boolean),
      cli: flag('dangerously-map-host-root', boolean, { type: 'boolean' }),
    },
  },
  namespaces: {
    about: 'more namespaces',
    on: {
      sandboxed: on('namespaces', arrayOf(oneOf(PLUGIN_NAMESPACES))),
      call: on('namespaces', arrayOf(oneOf(PLUGIN_NAMESPACES))),
      native: on('namespaces', arrayOf(oneOf(NATIVE_NAMESPACES))),
      cli: flag('ns', arrayOf(oneOf(PLUGIN_NAMESPACES)), { type: 'string', multiple: true, arg: 'NAME' }),
    },
  },
  hostname: {
    about: 'the hostname of the new UTS namespace',
    on: { sandboxed: on('hostname', hostname), call: on('hostname', hostname), native: on('hostname', hostname) },
  },
  noNewPrivileges: {
    about: 'PR_SET_NO_NEW_PRIVS before exec (on unless false)',
    on: {
      sandboxed: on('noNewPrivileges', boolean),
      call: on('noNewPrivileges', boolean),
      sandbox: on('noNewPrivileges', boolean),
      native: on('noNewPrivileges', boolean),
      cli: flag('allow-new-privileges', boolean, { type: 'boolean', note: 'turns it off' }),
    },
  },
  init: {
    about: 'with a PID namespace: pid 1 is a tiny init that reaps orphans and forwards signals, the program pid 2 (the sandbox and plugin layers always use it)',
    on: { native: on('init', boolean) },
  },
  timeoutMs: {
    about: `kill the child (with a PID namespace, its tree) after this many ms, at most ${MAX_TIMEOUT_MS}`,
    on: {
      sandboxed: on('timeoutMs', timeoutMs),
      call: on('timeoutMs', timeoutMs),
      sandbox: on('timeoutMs', timeoutMs),
      native: on('timeoutMs', timeoutMs),
      cli: flag('timeout', timeoutMs, { type: 'string', arg: 'MS', parse: timeoutFlag }),
    },
  },
  limits: {
    about: 'rlimits { cpuMs, memoryBytes, fileSizeBytes, openFiles, processes }; a child stopped by one fails with kind limit (a call may only lower them)',
    on: {
      sandboxed: on('limits', limits),
      call: on('limits', limits),
      sandbox: on('limits', limits),
      native: on('limits', limits),
      cli: flag('limit', limitFlags, { type: 'string', multiple: true, arg: 'NAME=N', parse: limitFlag }),
    },
  },
  seccomp: {
    about: 'the default seccomp filter after the chroot (on unless false; a call cannot turn it off)',
    on: { sandboxed: on('seccomp', boolean), call: on('seccomp', boolean), sandbox: on('seccomp', boolean) },
  },
  landlock: {
    about: 'only these trees { read, write } are accessible, as the sandbox sees them (Landlock ABI 6; a call may only narrow them)',
    on: {
      sandboxed: on('landlock', landlock),
      call: on('landlock', landlock),
      sandbox: on('landlock', landlock),
      cli: flag('landlock', landlockFlags, { type: 'string', multiple: true, arg: 'read:PATH|write:PATH', parse: landlockFlag }),
    },
  },
  landlockScope: {
    about: 'Landlock scoping before exec: no signals, no abstract unix sockets outside (the sandbox and plugin layers set it where the kernel has ABI 6)',
    on: { native: on('landlockScope', boolean) },
  },
  args: {
    about: 'string arguments for the function',
    on: { call: on('args', arrayOf(string())), sandbox: on('args', arrayOf(string())), native: on('args', arrayOf(string())) },
  },
  files: {
    about: 'paths the host opens read-only before spawning; the child gets them as fds',
    on: { call: on('files', paths), sandbox: on('extraFiles', paths), cli: flag('file', paths, { type: 'string', multiple: true, arg: 'PATH' }) },
  },
  allowDirectories: {
    about: 'let files name a directory (an open directory fd leads out of a chroot)',
    on: { call: on('allowDirectories', boolean), sandbox: on('allowDirectories', boolean) },
  },
  stdin: {
    about: "the child's stdin",
    on: { call: on('stdin', stdin), sandbox: on('stdin', stdin) },
  },
  env: {
    about: "the child's whole environment",
    on: { call: on('env', env), sandbox: on('env', env), native: on('env', env) },
  },
  maxBuffer: {
    about: 'bytes of stdout (and of stderr, and of the result) kept before the child is killed; default 100 MiB',
    on: { call: on('maxBuffer', maxBuffer), sandbox: on('maxBuffer', maxBuffer) },
  },
  signal: {
    about: 'aborting it kills the child',
    on: { call: on('signal', signal), sandbox: on('signal', signal), native: on('signal', signal) },
  },
  plugins: {
    about: 'plugin directories to load',
    on: { create: on('plugins', paths), cli: flag('plugins', paths, { type: 'string', multiple: true, arg: 'DIR' }) },
  },
  logger: {
    about: "the host's pino logger; the child's log lines reach it",
    on: { create: on('logger', logger) },
  },
  prewarm: {
    about: `children per id (at most ${MAX_PREWARM}) started ahead of calls in the declared environment, each serving one call`,
    on: { create: on('prewarm', perId(prewarmCount)), newReexecer: on('prewarm', perId(sandboxPrewarmEntry)) },
  },
  logLevel: {
    about: 'the level of the logger the CLI makes',
    on: { cli: flag('log-level', oneOf(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']), { type: 'string', arg: 'LEVEL' }) },
  },
  file: {
    about: 'the program to execute: an absolute path or a name looked up in PATH',
    on: { native: required('file', path) },
  },
  argv0: {
    about: "the child's argv[0] (default: file)",
    on: { native: on('argv0', string()) },
  },
  cwd: {
    about: "the child's cwd (default: the parent's)",
    on: { native: on('cwd', path) },
  },
  uid: {
    about: 'the uid to take inside (default 0 with a user namespace)',
    on: { native: on('uid', ID) },
  },
  gid: {
    about: 'the gid to take inside',
    on: { native: on('gid', ID) },
  },
  stdio: {
    about: "fds 0-2 of the child: 'pipe', 'inherit', 'ignore' or an open fd",
    on: { native: on('stdio', stdio) },
  },
  extraFds: {
    about: "fds 3, 4, ... of the child: 'pipe' (a socketpair) or an open fd",
    on: { native: on('extraFds', extraFds) },
  },
} satisfies Record<string, OptionRow>;

// ---------------------------------------------------------------- derived types

type Rows = typeof OPTIONS;
type OnOf<K extends keyof Rows, L extends Layer> = Rows[K]['on'] extends { [P in L]: infer E } ? E : never;
// [X] extends [never] first: `never extends OnLayer<infer N, ...>` holds and infers N as string.
type NameOf<K extends keyof Rows, L extends Layer> = [OnOf<K, L>] extends [never] ? never : OnOf<K, L> extends OnLayer<infer N, unknown, boolean> ? N : never;
type TypeOf<K extends keyof Rows, L extends Layer> = OnOf<K, L> extends OnLayer<string, infer T, boolean> ? T : never;
type RequiredKeys<L extends Layer> = {
  [K in keyof Rows]: [OnOf<K, L>] extends [never] ? never : OnOf<K, L> extends OnLayer<string, unknown, true> ? K : never;
}[keyof Rows];

/** A layer's options, as its callers write them: the types follow the table. */
export type LayerOptions<L extends Layer> = {
  [K in Exclude<keyof Rows, RequiredKeys<L>> as NameOf<K, L>]?: TypeOf<K, L>;
} & {
  [K in RequiredKeys<L> as NameOf<K, L>]: TypeOf<K, L>;
};

/** The rows with a name on `layer`, as [row key, its entry]. */
export function rowsOn(layer: Layer): [keyof Rows, OnLayer][] {
  return Object.entries(OPTIONS).flatMap(([key, row]) => {
    const entry = (row.on as Partial<Record<Layer, OnLayer>>)[layer];
    return entry ? [[key as keyof Rows, entry]] : [];
  });
}
