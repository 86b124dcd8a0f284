import type { Logger } from 'pino';

import type { AnyAction, SandboxFile } from '../sandbox/types.js';
import { Container, inject, injectable, type Newable } from '../vendor/inversify.js';
import { ARGS, FILES, LOGGER } from './tokens.js';

/** What @Sandboxed classes implement: run() executes in the child, inside the sandbox. */
export interface SandboxedPlugin {
  run(): unknown;
}

interface Call {
  logger: Logger;
  files: SandboxFile[];
  args: string[];
}

/**
 * The container of one run: the call's logger, files and args on their tokens (read when
 * the plugin is resolved, one value each per run), autobind for the plugin's own
 * @injectable() helpers.
 */
function runContainer(id: string, call: () => Call): Container {
  const container = new Container({ autobind: true });
  container.bind(LOGGER).toDynamicValue(() => call().logger.child({ plugin: id })).inSingletonScope();
  container.bind(FILES).toDynamicValue(() => Object.freeze([...call().files])).inSingletonScope();
  container.bind(ARGS).toDynamicValue(() => Object.freeze([...call().args])).inSingletonScope();
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
  let call: Call | undefined;
  let ahead: Container | undefined;
  const current = () => call!;
  const action = async (logger: Logger, files: SandboxFile[], ...args: string[]): Promise<unknown> => {
    call = { logger, files, args };
    const container = ahead ?? runContainer(id, current);
    ahead = undefined;
    const instance = await container.getAsync(plugin);
    return instance.run();
  };
  const warmUp = async (logger: Logger, files: SandboxFile[], ...args: string[]): Promise<void> => {
    const probe = { logger, files, args };
    await (await runContainer('warm-up', () => probe).getAsync(WarmUpProbe)).run();
    ahead = runContainer(id, current);
  };
  return { action, warmUp };
}
