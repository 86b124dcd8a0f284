import type { Logger } from 'pino';

import { ReexecError } from '../errors.js';
import type { IdMapper } from '../native/id-mapper.js';
import type { IdMappings } from '../native/id-mappings.js';
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
  exitCode: number | null;
  durationMs: number;
  /** Where the child's time went (ms since its start). */
  timings: ChildTimings;
}

export interface ReexecerConfig {
  logger: Logger;
  /** Maps for plugins that declare userns: true; by default the caller's own ids become 0. */
  idMappings?: IdMappings;
  idMapper?: IdMapper;
  /** Lets maps put host uid or gid 0 into a namespace; never by default. */
  dangerouslyMapHostRoot?: boolean;
}

/** Reexecer.create()'s options: the rows of src/options/schema.ts named on the 'create' layer. */
export interface ReexecerCreateOptions extends LayerOptions<'create'> {}

async function configFrom(options: ReexecerCreateOptions): Promise<ReexecerConfig> {
  const { logger, idMappings, idMapper, dangerouslyMapHostRoot } = options;
  return { logger: logger ?? (await defaultLogger()), idMappings, idMapper, dangerouslyMapHostRoot };
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

/** Runs plugins by id in sandboxed children; get it from a container or Reexecer.create(). */
@injectable()
export class Reexecer {
  constructor(@inject(REEXECER_CONFIG) private readonly config: ReexecerConfig) {}

  static async create(options: ReexecerCreateOptions = {}): Promise<Reexecer> {
    validateOptions('create', options, 'Reexecer.create()');
    await loadPlugins(options.plugins ?? []);
    return new Reexecer(await configFrom(options));
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
    const { runSandboxed } = await import('../sandbox/run.js');
    const result = await runSandboxed(registration, runSpec, this.config.logger);
    return { value: result.value as T, stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode, durationMs: result.durationMs, timings: result.timings };
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
