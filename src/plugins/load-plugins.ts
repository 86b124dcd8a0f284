import { statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { ReexecError } from '../errors.js';
import { lookup, registerFrom } from '../sandbox/registry.js';
import { sandboxedOptions } from './decorator.js';
import { isTypeScriptFile, listPluginFiles, typescriptSupport, type PluginFile } from './discovery.js';
import { isFresh, readManifest, type Manifest } from './manifest.js';
import { pluginInfo, pluginsOf, recordPlugin, recordPluginDir, type PluginInfo } from './plugin-registry.js';

export interface LoadPluginsOptions {
  /**
   * 'auto' (default): use a fresh manifest; with a stale or no manifest, import the
   * directory (the manifest on disk is left as it is: `reexecer manifest <dir>` writes it);
   * 'ignore': always import.
   */
  manifest?: 'auto' | 'ignore';
  /**
   * How long one plugin file's import may take, in ms (default DEFAULT_IMPORT_TIMEOUT_MS,
   * or the environment's REEXECER_IMPORT_TIMEOUT_MS): a module whose top-level await never
   * settles fails the load, naming the file, instead of never resolving.
   */
  importTimeoutMs?: number;
}

export const DEFAULT_IMPORT_TIMEOUT_MS = 30_000;

function importTimeout(options: LoadPluginsOptions): number {
  const fromEnv = process.env.REEXECER_IMPORT_TIMEOUT_MS;
  const ms = options.importTimeoutMs ?? (fromEnv ? Number(fromEnv) : DEFAULT_IMPORT_TIMEOUT_MS);
  if (!(Number.isSafeInteger(ms) && ms > 0 && ms <= 2 ** 31 - 1))
    throw new ReexecError('invalid-options', `importTimeoutMs (or REEXECER_IMPORT_TIMEOUT_MS) must be a whole number of ms between 1 and ${2 ** 31 - 1}, not ${options.importTimeoutMs ?? fromEnv}`);
  return ms;
}

/** import(url), or a timeout error naming the file once `ms` passed. */
async function importWithin(url: string, path: string, ms: number): Promise<Record<string, unknown>> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ReexecError('timeout', `plugin file ${path} did not finish loading within ${ms} ms (a top-level await that never settles?); raise importTimeoutMs or REEXECER_IMPORT_TIMEOUT_MS if it is only slow`)),
      ms,
    );
  });
  try {
    return await Promise.race([import(url) as Promise<Record<string, unknown>>, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The absolute path of a plugin directory, or a clear error. */
export function checkDir(dir: string): string {
  const absolute = resolve(dir);
  let isDir = false;
  try {
    isDir = statSync(absolute).isDirectory();
  } catch (error) {
    throw new ReexecError('invalid-options', `plugin directory ${absolute}: no such file or directory`, { cause: error });
  }
  if (!isDir) throw new ReexecError('invalid-options', `plugin directory ${absolute} is not a directory`);
  return absolute;
}

const TS_WAYS =
  'compile them with tsc and load the output directory, or run the host under tsx (node --import tsx host.js; plugins then need an explicit @inject(TOKEN) on every constructor parameter).';
const TS_HINT = `Node's own type stripping cannot run decorators or parameter properties: ${TS_WAYS}`;

/** .ts files where nothing can import them are refused, never skipped in silence. */
export function checkTypeScript(dir: string, files: readonly PluginFile[]): void {
  const ts = files.filter((f) => isTypeScriptFile(f.path));
  if (ts.length === 0 || typescriptSupport() !== false) return;
  const names = ts.slice(0, 3).map((f) => relative(dir, f.path)).join(', ') + (ts.length > 3 ? ', ...' : '');
  throw new ReexecError('invalid-options', `plugin directory ${dir} holds TypeScript files (${names}) that Node ${process.version} cannot import`, {
    hint: `Either ${TS_WAYS}`,
  });
}

async function importFile(file: PluginFile, timeoutMs: number): Promise<PluginInfo[]> {
  const url = pathToFileURL(file.path).href;
  let exports: Record<string, unknown>;
  try {
    exports = await importWithin(url, file.path, timeoutMs);
  } catch (error) {
    if (error instanceof ReexecError) throw error;
    const message = (error as Error)?.message ?? String(error);
    const hint = isTypeScriptFile(file.path) && typescriptSupport() === 'strip' ? TS_HINT : undefined;
    throw new ReexecError('invalid-options', `plugin file ${file.path} failed to load: ${message}`, { cause: error, hint });
  }
  for (const [name, value] of Object.entries(exports)) {
    const options = sandboxedOptions(value);
    const info = options && pluginInfo(options.id);
    if (info && info.module === url) info.exportName ??= name;
  }
  return pluginsOf(url);
}

function runsOnlyInTheChild(id: string) {
  return () => {
    throw new ReexecError('invalid-options', `plugin "${id}" was registered from a manifest: it runs in a sandboxed child, not in the host`);
  };
}

function registerFromManifest(dir: string, manifest: Manifest): PluginInfo[] {
  return manifest.plugins.map((p) => {
    const module = pathToFileURL(resolve(dir, p.file)).href;
    const info: PluginInfo = { id: p.id, options: p.options, module, className: p.className, exportName: p.exportName };
    const existing = lookup(p.id);
    if (existing && existing.module !== module)
      throw new ReexecError('invalid-options', `duplicate plugin id "${p.id}": ${existing.module} and ${module} (from ${dir}'s manifest)`);
    if (!existing) registerFrom(module, p.id, runsOnlyInTheChild(p.id));
    recordPlugin(info);
    return info;
  });
}

/** Imports every candidate file of `dir`, returning the plugins they declare. */
export async function importPluginDir(dir: string, files: readonly PluginFile[] = listPluginFiles(dir), timeoutMs = DEFAULT_IMPORT_TIMEOUT_MS): Promise<PluginInfo[]> {
  const found: PluginInfo[] = [];
  for (const file of files) found.push(...(await importFile(file, timeoutMs)));
  return found;
}

/**
 * Finds and registers the @Sandboxed classes of each directory. A fresh manifest registers
 * them without importing any plugin here (the child imports the one it runs); with a stale
 * one or none, every file is imported (in memory: nothing is written). Errors name the file.
 */
export async function loadPlugins(dirs: readonly string[] | string, options: LoadPluginsOptions = {}): Promise<PluginInfo[]> {
  const timeoutMs = importTimeout(options);
  const loaded: PluginInfo[] = [];
  for (const dir of typeof dirs === 'string' ? [dirs] : dirs) {
    const absolute = checkDir(dir);
    const files = listPluginFiles(absolute);
    checkTypeScript(absolute, files);
    recordPluginDir(absolute);
    const manifest = options.manifest === 'ignore' ? undefined : readManifest(absolute);
    if (manifest && isFresh(manifest, absolute, files)) {
      loaded.push(...registerFromManifest(absolute, manifest));
      continue;
    }
    // Nothing is written here: the directory may be an installed package's.
    loaded.push(...(await importPluginDir(absolute, files, timeoutMs)));
  }
  return loaded;
}
