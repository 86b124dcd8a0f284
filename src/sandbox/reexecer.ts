import type { Readable } from 'node:stream';
import type { Logger } from 'pino';

import { ReexecError } from '../errors.js';
import type { IdMapper } from '../native/id-mapper.js';
import type { IdMappings } from '../native/id-mappings.js';
import type { Pools } from './pool.js';
import { inChildRuntime, validatePrewarmCount } from './prewarm.js';
import { lookup } from './registry.js';
import type { RunSpec } from './run.js';

/** GrootFS's ReexecSpec, plus what a Node caller needs (env, maxBuffer, allowDirectories). */
export interface ReexecSpec {
  args?: string[];
  stdin?: Readable | Buffer | string;
  /** Opened by the parent before spawning (so outside the chroot), read-only. */
  extraFiles?: string[];
  /** Refused by default: an open directory fd leads out of a chroot. */
  allowDirectories?: boolean;
  chrootDir?: string;
  /** A new user namespace in which the child is root, with the reexecer's idMappings. */
  cloneUserns?: boolean;
  /** The child's environment: nothing else of the parent's reaches it but NODE_OPTIONS. */
  env?: Record<string, string | undefined>;
  /** Bytes of stdout (and of stderr) kept before the child is killed; default 100 MiB. */
  maxBuffer?: number;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface SandboxReexecer {
  /** Runs the action registered as `id` and resolves with the child's stdout. */
  reexec(id: string, spec?: ReexecSpec): Promise<Buffer>;
  /** Resolves once every prewarm pool is full; rejects with why a pool stopped refilling. */
  warmed(): Promise<void>;
  /** Kills the idle prewarmed children; calls in flight finish, later calls run cold. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** The environment prewarmed children of an id start in: calls with the same one take them. */
export interface SandboxPrewarm {
  count: number;
  cloneUserns?: boolean;
  env?: Record<string, string | undefined>;
}

export interface ReexecerOptions {
  /** Maps for cloneUserns; by default the caller's own uid and gid become 0. */
  idMappings?: IdMappings;
  /** Writes the maps; by default directly as root, a self map itself, else newuidmap/newgidmap. */
  idMapper?: IdMapper;
  /** Children per id started ahead of calls, each serving one call (a count: no cloneUserns, no env). */
  prewarm?: Readonly<Record<string, number | SandboxPrewarm>>;
}

const PREWARM_KEYS = new Set(['count', 'cloneUserns', 'env']);

function prewarmEntry(id: string, entry: number | SandboxPrewarm): SandboxPrewarm {
  if (entry === null || typeof entry !== 'object') return { count: entry }; // the count check says what is wrong
  for (const key of Object.keys(entry))
    if (!PREWARM_KEYS.has(key)) throw new ReexecError('invalid-options', `prewarm["${id}"].${key} is not an option (known: ${[...PREWARM_KEYS].join(', ')})`);
  return entry;
}

export function newReexecer(logger: Logger, opts: ReexecerOptions = {}): SandboxReexecer {
  const runSpec = ({ cloneUserns, ...rest }: ReexecSpec): RunSpec => ({
    ...rest,
    namespaces: cloneUserns ? ['user'] : [],
    idMappings: cloneUserns ? opts.idMappings : undefined,
    idMapper: opts.idMapper,
  });
  const prewarm = Object.entries(opts.prewarm ?? {}).map(([id, entry]) => {
    const registration = lookup(id);
    if (!registration) throw new ReexecError('unregistered', `prewarm: unregistered command: ${id}`);
    const { count, ...environment } = prewarmEntry(id, entry);
    validatePrewarmCount(id, count);
    return { registration, count, spec: runSpec(environment) };
  });
  // Loaded on first use: the child imports this package only to register, and every
  // child start pays for what it imports. Spelled from the parent folder so that the
  // same specifier resolves from dist/bundles/, where this entry is bundled.
  const load = () => import('../sandbox/run.js');
  const pools: Promise<Pools | undefined> = prewarm.length && !inChildRuntime() ? load().then((m) => m.createPools(prewarm, logger)) : Promise.resolve(undefined);
  pools.catch(() => undefined); // reported by every call and by warmed()
  const close = async () => (await pools)?.close();
  return {
    async reexec(id, spec = {}) {
      const registration = lookup(id);
      if (!registration) throw new ReexecError('unregistered', `unregistered command: ${id}`);
      const { runSandboxed } = await load();
      const result = await runSandboxed(registration, runSpec(spec), logger, await pools);
      return result.stdout;
    },
    warmed: async () => (await pools)?.warmed(),
    close,
    [Symbol.asyncDispose]: close,
  };
}
