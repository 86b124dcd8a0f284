import type { Logger } from 'pino';

import type { AnyAction, SandboxFile } from '../sandbox/types.js';
import { Container, inject, injectable, type Newable } from '../vendor/inversify.js';
import { ARGS, FILES, LOGGER } from './tokens.js';

/** What @Sandboxed classes implement: run() executes in the child, inside the sandbox. */
export interface SandboxedPlugin {
  run(): unknown;
}

/**
 * The call's logger, files and args on their tokens, in the container of one run (with
 * autobind for the plugin's own @injectable() helpers).
 */
function bindCall(container: Container, id: string, logger: Logger, files: SandboxFile[], args: string[]): Container {
  container.bind(LOGGER).toConstantValue(logger.child({ plugin: id }));
  container.bind(FILES).toConstantValue(Object.freeze([...files]));
  container.bind(ARGS).toConstantValue(Object.freeze([...args]));
  return container;
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
 * The sandbox action for a plugin class (run()'s value goes back to the caller) and the
 * warm-up of a prewarmed child: a probe resolved and run in a container of its own leaves
 * inversify's code compiled, and the run's container is made ahead (≈ 1 ms of a call). A
 * child serves one call: the container made ahead serves that call and no other.
 */
export function pluginAction(plugin: Newable<SandboxedPlugin>, id: string): { action: AnyAction; warmUp: AnyAction } {
  let ahead: Container | undefined;
  const action = async (logger: Logger, files: SandboxFile[], ...args: string[]): Promise<unknown> => {
    const container = bindCall(ahead ?? new Container({ autobind: true }), id, logger, files, args);
    ahead = undefined;
    const instance = await container.getAsync(plugin);
    return instance.run();
  };
  const warmUp = async (logger: Logger, files: SandboxFile[], ...args: string[]): Promise<void> => {
    const probe = bindCall(new Container({ autobind: true }), 'warm-up', logger, files, args);
    await (await probe.getAsync(WarmUpProbe)).run();
    ahead = new Container({ autobind: true });
  };
  return { action, warmUp };
}
