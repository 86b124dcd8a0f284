import type { Logger } from 'pino';

import type { SandboxFile } from '../sandbox/types.js';
import { Container, inject, injectable, type Newable } from '../vendor/inversify.js';
import { ARGS, FILES, LOGGER } from './tokens.js';

/** What @Sandboxed classes implement: run() executes in the child, inside the sandbox. */
export interface SandboxedPlugin {
  run(): unknown;
}

/** A container of its own for one run: the call's logger, files and args on their tokens, autobind for the plugin's own @injectable() helpers. */
async function runPlugin(plugin: Newable<SandboxedPlugin>, id: string, logger: Logger, files: SandboxFile[], args: string[]): Promise<unknown> {
  const container = new Container({ autobind: true });
  container.bind(LOGGER).toConstantValue(logger.child({ plugin: id }));
  container.bind(FILES).toConstantValue(Object.freeze([...files]));
  container.bind(ARGS).toConstantValue(Object.freeze([...args]));
  const instance = await container.getAsync(plugin);
  return instance.run();
}

/** The sandbox action for a plugin class; run()'s value goes back to the caller. */
export function pluginAction(plugin: Newable<SandboxedPlugin>, id: string) {
  return (logger: Logger, files: SandboxFile[], ...args: string[]): Promise<unknown> => runPlugin(plugin, id, logger, files, args);
}

/** Shaped as a plugin, for the warm-up: the plugin's own constructor is user code and stays for the call. */
@injectable()
class WarmUpProbe implements SandboxedPlugin {
  constructor(
    @inject(LOGGER) private readonly log: Logger,
    @inject(FILES) readonly files: readonly SandboxFile[],
    @inject(ARGS) readonly args: readonly string[],
  ) {}

  run(): void {
    this.log.info('warm-up');
  }
}

/**
 * A prewarmed plugin child's warm-up: the per-run container, the resolution and run() of a
 * probe, which leave inversify's code compiled for the call (≈ 8 ms of a warm call otherwise).
 */
export function pluginWarmUp(logger: Logger, files: SandboxFile[], ...args: string[]): Promise<unknown> {
  return runPlugin(WarmUpProbe, 'warm-up', logger, files, args);
}
