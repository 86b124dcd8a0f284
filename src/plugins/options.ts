import { invalidOptions } from '../errors.js';
import { type LayerOptions, type PluginNamespace } from '../options/schema.js';
import { validateOptions } from '../options/validate.js';

export { PLUGIN_NAMESPACES, type PluginNamespace, type UsernsOption } from '../options/schema.js';

/** What @Sandboxed() takes: the rows of src/options/schema.ts named on the 'sandboxed' layer. */
export interface SandboxedOptions extends LayerOptions<'sandboxed'> {}

/** Checks options as declared (`where` names the class): the table's checks, then the rules between options. */
export function validateSandboxedOptions(options: unknown, where: string): asserts options is SandboxedOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    throw invalidOptions(`${where}: @Sandboxed() needs an options object such as { id: 'unpack' }`);
  validateOptions('sandboxed', options, where);
  const o = options as SandboxedOptions;
  if (o.hostname !== undefined && !(o.namespaces as readonly PluginNamespace[] | undefined)?.includes('uts'))
    throw invalidOptions(`${where}: hostname needs the uts namespace: add namespaces: ['uts']`);
  if (o.pivotRoot === true && o.chroot !== true) throw invalidOptions(`${where}: pivotRoot needs chroot: true`);
}
