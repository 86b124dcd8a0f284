import type { Logger } from 'pino';

import { ReexecError } from '../errors.js';
import type { IdMapper } from '../native/id-mapper.js';
import type { IdMappings } from '../native/id-mappings.js';
import { loadRun } from '../sandbox/load-run.js';
import type { Pools } from '../sandbox/pool.js';
import { inChildRuntime } from '../sandbox/prewarm.js';
import { lookup } from '../sandbox/registry.js';
import type { ChildTimings } from '../protocol/messages.js';
import type { LayerOptions } from '../options/schema.js';
import { validateOptions } from '../options/validate.js';
import { ContainerModule, inject, injectable } from '../vendor/inversify.js';
import { toRunSpec, type PluginCallSpec } from './call-spec.js';
import { loadPlugins } from './load-plugins.js';
import { allPlugins, pluginDirsLoaded, pluginInfo, type PluginInfo } from './plugin-registry.js';

export interface ReexecResult<T = unknown> {
  /** What run() returned, through the v8 serializer. */
  value: T;
  stdout: Buffer;
  stderr: Buffer;
  /**
   * 0 when the child reported its result and closed its streams: the run is decided then
   * and the exit (which exitNow makes 0) is reaped in the background.
   */
  exitCode: number | null;
  durationMs: number;
  /** Where the child's time went (ms since its start). */
  timings: ChildTimings;
  /** A prewarmed child served the call (else one was started for it). */
  warm: boolean;
}

export interface ReexecerConfig {
  logger: Logger;
  /** Maps for plugins that declare userns: true; by default the caller's own ids become 0. */
  idMappings?: IdMappings;
  idMapper?: IdMapper;
  /**
   * Children per plugin id started ahead of calls in the plugin's declared environment,
   * each serving one call; a call that asks for another environment runs cold.
   */
  prewarm?: Readonly<Record<string, number>>;
  /** Lets maps put host uid or gid 0 into a namespace; never by default. */
  dangerouslyMapHostRoot?: boolean;
}

/** Reexecer.create()'s options: the rows of src/options/schema.ts named on the 'create' layer. */
export interface ReexecerCreateOptions extends LayerOptions<'create'> {}

async function configFrom(options: ReexecerCreateOptions): Promise<ReexecerConfig> {
  const { logger, idMappings, idMapper, dangerouslyMapHostRoot, prewarm } = options;
  return { logger: logger ?? (await defaultLogger()), idMappings, idMapper, dangerouslyMapHostRoot, prewarm };
}

/** The token under which a host container holds the Reexecer's config. */
export const REEXECER_CONFIG = Symbol.for('reexecer.REEXECER_CONFIG');

async function defaultLogger(): Promise<Logger> {
  const { pino } = await import('pino');
  return pino({ name: 'reexecer' });
}

function unregisteredHint(known: string[]): string {
  if (known.length) return `Registered plugins: ${known.join(', ')}.`;
  const dirs = pluginDirsLoaded();
  return dirs.length
    ? `No plugin is registered: the plugin directories loaded (${dirs.join(', ')}) declare no @Sandboxed class.`
    : 'No plugin is registered: load a plugin directory first (Reexecer.create({ plugins: [dir] })).';
}

/** The pools for config.prewarm, each in its plugin's declared environment (with no call's additions). */
async function startPools(config: ReexecerConfig): Promise<Pools | undefined> {
  const entries = Object.entries(config.prewarm ?? {});
  if (entries.length === 0 || inChildRuntime()) return undefined;
  const pools = await Promise.all(
    entries.map(async ([id, count]) => {
      const plugin = pluginInfo(id);
      const registration = plugin && lookup(id);
      if (!plugin || !registration) throw new ReexecError('unregistered', `prewarm: unregistered command: ${id}`);
      const spec = await toRunSpec(plugin.options, { chroot: plugin.options.chroot ? '/' : undefined }, config);
      return { registration, count, spec };
    }),
  );
  const { createPools } = await loadRun();
  return createPools(pools, config.logger);
}

/** Runs plugins by id in sandboxed children; get it from a container or Reexecer.create(). */
@injectable()
export class Reexecer {
  private readonly pools: Promise<Pools | undefined>;

  constructor(@inject(REEXECER_CONFIG) private readonly config: ReexecerConfig) {
    this.pools = startPools(config);
    this.pools.catch(() => undefined); // reported by every call and by warmed()
  }

  static async create(options: ReexecerCreateOptions = {}): Promise<Reexecer> {
    validateOptions('create', options, 'Reexecer.create()');
    await loadPlugins(options.plugins ?? []);
    const reexecer = new Reexecer(await configFrom(options));
    await reexecer.pools; // a wrong prewarm option fails here, not at the first call
    return reexecer;
  }

  /** Resolves once every prewarm pool is full; rejects with why a pool stopped refilling. */
  async warmed(): Promise<void> {
    await (await this.pools)?.warmed();
  }

  /** Kills the idle prewarmed children; calls in flight finish, later calls run cold. */
  async close(): Promise<void> {
    await (await this.pools)?.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** The plugins registered in this process. */
  list(): PluginInfo[] {
    return allPlugins().map((p) => ({ ...p }));
  }

  async reexec<T = unknown>(id: string, spec: PluginCallSpec = {}): Promise<ReexecResult<T>> {
    const plugin = pluginInfo(id);
    const registration = plugin && lookup(id);
    if (!plugin || !registration) {
      const known = allPlugins().map((p) => p.id);
      throw new ReexecError('unregistered', `unregistered command: ${id}`, {
        hint: unregisteredHint(known),
      });
    }
    const runSpec = await toRunSpec(plugin.options, spec, this.config);
    const { runSandboxed } = await loadRun();
    const result = await runSandboxed(registration, runSpec, this.config.logger, await this.pools);
    const { value, stdout, stderr, exitCode, durationMs, timings, warm } = result;
    return { value: value as T, stdout, stderr, exitCode, durationMs, timings, warm };
  }
}

/** For a host's own inversify container: binds Reexecer (a singleton) after loading the plugins. */
export function reexecerModule(options: ReexecerCreateOptions = {}): ContainerModule {
  validateOptions('create', options, 'reexecerModule()');
  return new ContainerModule(async ({ bind }) => {
    await loadPlugins(options.plugins ?? []);
    bind<ReexecerConfig>(REEXECER_CONFIG).toConstantValue(await configFrom(options));
    bind(Reexecer).toSelf().inSingletonScope();
  });
}
