import { fileURLToPath } from 'node:url';

import { ReexecError } from '../errors.js';
import { callerModule } from '../sandbox/caller-module.js';
import { registerFrom } from '../sandbox/registry.js';
import { injectable, type Newable } from '../vendor/inversify.js';
import { validateSandboxedOptions, type SandboxedOptions } from './options.js';
import { pluginAction, type SandboxedPlugin } from './plugin-action.js';
import { recordPlugin } from './plugin-registry.js';

const PLUGIN = Symbol.for('reexecer.plugin');
const OWN_FILES = fileURLToPath(new URL('..', import.meta.url));

/**
 * This library and the decorator helpers (TypeScript's __decorate calls reflect-metadata's
 * Reflect.decorate when present) are not the module that declares a plugin.
 */
function isHelperFrame(file: string): boolean {
  const path = file.startsWith('file:') ? fileURLToPath(file) : file;
  return path.startsWith(OWN_FILES) || /[\\/]node_modules[\\/](tslib|reflect-metadata|@swc[\\/]helpers)[\\/]/.test(path);
}

/** The options a class was decorated with, or undefined for any other value. */
export function sandboxedOptions(value: unknown): SandboxedOptions | undefined {
  return typeof value === 'function' ? ((value as unknown as Record<symbol, SandboxedOptions>)[PLUGIN] ?? undefined) : undefined;
}

/**
 * Declares a class as a plugin that runs in a sandboxed child. The options are validated
 * here, when the module loads, so a mistake shows on the host before anything runs; the
 * class is registered under its id for the module that declares it.
 */
export function Sandboxed(options: SandboxedOptions): ClassDecorator {
  const decorate = <T extends Function>(target: T): T => {
    const where = `@Sandboxed on class ${target.name || '(anonymous)'}`;
    validateSandboxedOptions(options, where);
    if (typeof (target.prototype as Partial<SandboxedPlugin>)?.run !== 'function')
      throw new ReexecError('invalid-options', `${where}: the class has no run() method; a plugin's run() is what executes in the sandbox`);
    const frozen = Object.freeze(structuredClone(options));
    const module = callerModule(decorate, isHelperFrame);
    const { action, warmUp } = pluginAction(target as unknown as Newable<SandboxedPlugin>, frozen.id);
    registerFrom(module, frozen.id, action, warmUp);
    injectable()(target);
    Object.defineProperty(target, PLUGIN, { value: frozen });
    recordPlugin({ id: frozen.id, options: frozen, module, className: target.name });
    return target;
  };
  return decorate as ClassDecorator;
}
