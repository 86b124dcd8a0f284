import type { Logger } from 'pino';

import type { SandboxFile } from '../sandbox/types.js';
import { Container, type Newable } from '../vendor/inversify.js';
import { ARGS, FILES, LOGGER } from './tokens.js';

/** What @Sandboxed classes implement: run() executes in the child, inside the sandbox. */
export interface SandboxedPlugin {
  run(): unknown;
}

/**
 * The sandbox action for a plugin class: a container of its own per run, with the
 * logger, files and args bound to their tokens and autobind for the plugin's own
 * @injectable() helpers; run()'s value goes back to the caller.
 */
export function pluginAction(plugin: Newable<SandboxedPlugin>, id: string) {
  return async (logger: Logger, files: SandboxFile[], ...args: string[]): Promise<unknown> => {
    const container = new Container({ autobind: true });
    container.bind(LOGGER).toConstantValue(logger.child({ plugin: id }));
    container.bind(FILES).toConstantValue(Object.freeze([...files]));
    container.bind(ARGS).toConstantValue(Object.freeze([...args]));
    const instance = await container.getAsync(plugin);
    return instance.run();
  };
}
