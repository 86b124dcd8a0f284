import { hostname } from 'node:os';

import { ARGS, inject, LOGGER, Sandboxed, sethostname, type Logger, type SandboxedPlugin } from 'reexecer';

/** Sets the hostname of a new UTS namespace from its argument: the host's is untouched. */
@Sandboxed({ id: 'hostname', userns: true, namespaces: ['uts'] })
export class Hostname implements SandboxedPlugin {
  constructor(
    @inject(LOGGER) private readonly log: Logger,
    @inject(ARGS) private readonly args: readonly string[],
  ) {}

  run(): { before: string; after: string } {
    const name = this.args[0];
    if (!name) throw new Error('hostname: give the new hostname as the first argument');
    const before = hostname();
    sethostname(name);
    this.log.info({ before, after: name }, 'hostname set');
    return { before, after: hostname() };
  }
}
