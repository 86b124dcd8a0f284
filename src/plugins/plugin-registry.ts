import type { SandboxedOptions } from './options.js';

/** What the host knows of a plugin, from its decorator or from a manifest. */
export interface PluginInfo {
  id: string;
  options: SandboxedOptions;
  /** URL of the module that declares the class. */
  module: string;
  className: string;
  /** The export that holds the class, when the module was imported here. */
  exportName?: string;
}

// Shared by every copy of this module in the process (see sandbox/registry.ts).
const KEY = Symbol.for('reexecer.plugins.registry');
const plugins: Map<string, PluginInfo> = ((globalThis as Record<symbol, unknown>)[KEY] as Map<string, PluginInfo>) ??
  ((globalThis as Record<symbol, unknown>)[KEY] = new Map<string, PluginInfo>());

// By module, so that a directory of n files is not n scans of the registry.
const BY_MODULE = Symbol.for('reexecer.plugins.byModule');
const byModule: Map<string, PluginInfo[]> = ((globalThis as Record<symbol, unknown>)[BY_MODULE] as Map<string, PluginInfo[]>) ??
  ((globalThis as Record<symbol, unknown>)[BY_MODULE] = new Map<string, PluginInfo[]>());

export function recordPlugin(info: PluginInfo): void {
  const previous = plugins.get(info.id);
  if (previous) byModule.set(previous.module, pluginsOf(previous.module).filter((p) => p !== previous));
  plugins.set(info.id, info);
  if (!byModule.has(info.module)) byModule.set(info.module, []);
  byModule.get(info.module)!.push(info);
}

/** The plugins a module declares. */
export function pluginsOf(module: string): PluginInfo[] {
  return [...(byModule.get(module) ?? [])];
}

export function pluginInfo(id: string): PluginInfo | undefined {
  return plugins.get(id);
}

export function allPlugins(): PluginInfo[] {
  return [...plugins.values()];
}

// The plugin directories loaded in this process, for the hint of an unregistered id.
const DIRS = Symbol.for('reexecer.plugins.dirs');
const dirs: Set<string> = ((globalThis as Record<symbol, unknown>)[DIRS] as Set<string>) ?? ((globalThis as Record<symbol, unknown>)[DIRS] = new Set<string>());

export function recordPluginDir(dir: string): void {
  dirs.add(dir);
}

export function pluginDirsLoaded(): string[] {
  return [...dirs];
}
