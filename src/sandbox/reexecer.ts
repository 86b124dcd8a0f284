import type { Logger } from 'pino';

import { ReexecError } from '../errors.js';
import type { LayerOptions } from '../options/schema.js';
import { validateOptions } from '../options/validate.js';
import { loadRun } from './load-run.js';
import type { Pools } from './pool.js';
import { inChildRuntime } from './prewarm.js';
import { lookup } from './registry.js';
import type { RunSpec } from './run.js';

/**
 * GrootFS's ReexecSpec, plus what a Node caller needs (env, maxBuffer, allowDirectories,
 * noNewPrivileges, limits, seccomp, landlock): the rows of src/options/schema.ts named on the 'sandbox' layer.
 */
export interface ReexecSpec extends LayerOptions<'sandbox'> {}

export interface SandboxReexecer {
  /** Runs the action registered as `id` and resolves with the child's stdout. */
  reexec(id: string, spec?: ReexecSpec): Promise<Buffer>;
  /** Resolves once every prewarm pool is full; rejects with why a pool stopped refilling. */
  warmed(): Promise<void>;
  /** Kills the idle prewarmed children; calls in flight finish, later calls run cold. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** The maps cloneUserns gets (idMappings, idMapper, dangerouslyMapHostRoot) and prewarm: the 'newReexecer' rows. */
export interface ReexecerOptions extends LayerOptions<'newReexecer'> {}

export function newReexecer(logger: Logger, opts: ReexecerOptions = {}): SandboxReexecer {
  validateOptions('newReexecer', opts, 'newReexecer()');
  const runSpec = ({ cloneUserns, ...rest }: ReexecSpec): RunSpec => ({
    ...rest,
    namespaces: cloneUserns ? ['user'] : [],
    idMappings: cloneUserns ? opts.idMappings : undefined,
    idMapper: opts.idMapper,
    dangerouslyMapHostRoot: opts.dangerouslyMapHostRoot,
  });
  const prewarm = Object.entries(opts.prewarm ?? {}).map(([id, entry]) => {
    const registration = lookup(id);
    if (!registration) throw new ReexecError('unregistered', `prewarm: unregistered command: ${id}`);
    const { count, ...environment } = typeof entry === 'number' ? { count: entry } : entry;
    return { registration, count, spec: runSpec(environment) };
  });
  const pools: Promise<Pools | undefined> = prewarm.length && !inChildRuntime() ? loadRun().then((m) => m.createPools(prewarm, logger)) : Promise.resolve(undefined);
  pools.catch(() => undefined); // reported by every call and by warmed()
  const close = async () => (await pools)?.close();
  return {
    async reexec(id, spec = {}) {
      validateOptions('sandbox', spec, `reexec("${id}")`);
      const registration = lookup(id);
      if (!registration) throw new ReexecError('unregistered', `unregistered command: ${id}`);
      const { runSandboxed } = await loadRun();
      const result = await runSandboxed(registration, runSpec(spec), logger, await pools);
      return result.stdout;
    },
    warmed: async () => (await pools)?.warmed(),
    close,
    [Symbol.asyncDispose]: close,
  };
}
