import { ReexecError } from '../errors.js';
import { assertSafeName } from '../reexec/names.js';
import { callerModule } from './caller-module.js';
import type { Action, AnyAction, Registration } from './types.js';

// One registry per process even if two copies of reexecer are loaded (a plugin that
// bundles its own): the child must find what any of them registered.
const KEY = Symbol.for('reexecer.sandbox.registry');
const registry: Map<string, Registration> = ((globalThis as Record<symbol, unknown>)[KEY] as Map<string, Registration>) ??
  ((globalThis as Record<symbol, unknown>)[KEY] = new Map<string, Registration>());

/**
 * Registers `action` under `id`, remembering the module that called this: the child
 * imports that module, and nothing else the host imported, to find the action again.
 */
export function register(id: string, action: Action): void {
  registerFrom(callerModule(register), id, action);
}

/** register() with the module named explicitly (the plugin layer registers for its plugins, with a warm-up). */
export function registerFrom(module: string, id: string, action: AnyAction, warmUp?: AnyAction): void {
  assertSafeName(id, 'id');
  if (typeof action !== 'function') throw new ReexecError('invalid-options', `register(${JSON.stringify(id)}): action must be a function`);
  const existing = registry.get(id);
  if (existing)
    throw new ReexecError('invalid-options', `sandbox id ${JSON.stringify(id)} is already registered by ${existing.module}; ${module} registers it again`);
  registry.set(id, { id, action, module, ...(warmUp ? { warmUp } : {}) });
}

export function lookup(id: string): Registration | undefined {
  return registry.get(id);
}

export function registeredIds(): string[] {
  return [...registry.keys()];
}

/** Removes an id (tests and hot reload). */
export function unregister(id: string): boolean {
  return registry.delete(id);
}
