import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface PluginFile {
  path: string;
}

const SKIPPED_DIRS = new Set(['node_modules', '__tests__', '__mocks__']);
const TEST_FILE = /\.(test|spec)\.[cm]?[jt]sx?$/;

/**
 * How this process can import a .ts file: 'loader' under tsx, ts-node or @swc-node (which
 * compile decorators), 'strip' with Node's own type stripping (Node 22.18+, or an
 * --experimental-*-types flag: no decorators, no parameter properties), false when it cannot.
 */
export function typescriptSupport(): 'loader' | 'strip' | false {
  const flags = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ');
  if (/(^|[\s=/@])(tsx|ts-node|@swc-node\/register)([\s/]|$)/.test(flags)) return 'loader';
  return (process.features as { typescript?: string | false }).typescript ? 'strip' : false;
}

export const isTypeScriptFile = (path: string): boolean => /\.(ts|mts|cts)$/.test(path) && !/\.d\.[cm]?ts$/.test(path);

function isPluginFile(name: string): boolean {
  if (TEST_FILE.test(name)) return false;
  return /\.(js|mjs|cjs)$/.test(name) || isTypeScriptFile(name);
}

/**
 * Candidate plugin files under `dir`, recursively, in a stable order: dotfiles,
 * node_modules, test files and declaration files are skipped; .ts files are candidates
 * (loadPlugins refuses them where they cannot be imported).
 */
export function listPluginFiles(dir: string): PluginFile[] {
  const found: PluginFile[] = [];
  const walk = (current: string) => {
    const entries = readdirSync(current, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const path = join(current, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) walk(path);
      } else if (entry.isFile() && isPluginFile(entry.name)) {
        found.push({ path });
      }
    }
  };
  walk(dir);
  return found;
}
