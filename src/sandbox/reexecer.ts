import type { Logger } from 'pino';

import { ReexecError } from '../errors.js';
import type { LayerOptions } from '../options/schema.js';
import { validateOptions } from '../options/validate.js';
import { lookup } from './registry.js';

/**
 * GrootFS's ReexecSpec, plus what a Node caller needs (env, maxBuffer, allowDirectories,
 * noNewPrivileges): the rows of src/options/schema.ts named on the 'sandbox' layer.
 */
export interface ReexecSpec extends LayerOptions<'sandbox'> {}

export interface SandboxReexecer {
  /** Runs the action registered as `id` and resolves with the child's stdout. */
  reexec(id: string, spec?: ReexecSpec): Promise<Buffer>;
}

/** The maps cloneUserns gets (idMappings, idMapper, dangerouslyMapHostRoot): the 'newReexecer' rows. */
export interface ReexecerOptions extends LayerOptions<'newReexecer'> {}

export function newReexecer(logger: Logger, opts: ReexecerOptions = {}): SandboxReexecer {
  validateOptions('newReexecer', opts, 'newReexecer()');
  return {
    async reexec(id, spec = {}) {
      validateOptions('sandbox', spec, `reexec("${id}")`);
      const registration = lookup(id);
      if (!registration) throw new ReexecError('unregistered', `unregistered command: ${id}`);
      const { cloneUserns, ...rest } = spec;
      // Loaded on first use: the child imports this package only to register, and every
      // child start pays for what it imports. Spelled from the parent folder so that the
      // same specifier resolves from dist/bundles/, where this entry is bundled.
      const { runSandboxed } = await import('../sandbox/run.js');
      const result = await runSandboxed(
        registration,
        {
          ...rest,
          namespaces: cloneUserns ? ['user'] : [],
          idMappings: cloneUserns ? opts.idMappings : undefined,
          idMapper: opts.idMapper,
          dangerouslyMapHostRoot: opts.dangerouslyMapHostRoot,
        },
        logger,
      );
      return result.stdout;
    },
  };
}
