import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface PluginFile {
  path: string;
  size: number;
  mtimeMs: number;
}

const SKIPPED_DIRS = new Set(['node_modules', '__tests__', '__mocks__']);
const TEST_FILE = /\.(test|spec)\.[cm]?[jt]sx?$/;

/** True when the host runs under a TypeScript loader, so .ts plugin files can be imported. */
export function typescriptLoaderActive(): boolean {
  const flags = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ');
  return /\b(tsx|ts-node|@swc-node|--experimental-strip-types|--experimental-transform-types)\b/.test(flags);
}

function isPluginFile(name: string, typescript: boolean): boolean {
  if (TEST_FILE.test(name) || /\.d\.[cm]?ts$/.test(name)) return false;
  if (/\.(js|mjs|cjs)$/.test(name)) return true;
  return typescript && /\.(ts|mts|cts)$/.test(name);
}

/**
 * Candidate plugin files under `dir`, recursively, in a stable order: dotfiles,
 * node_modules and test files are skipped. Sizes and mtimes tell a manifest's staleness.
 */
export function listPluginFiles(dir: string, typescript = typescriptLoaderActive()): PluginFile[] {
  const found: PluginFile[] = [];
  const walk = (current: string) => {
    const entries = readdirSync(current, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const path = join(current, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) walk(path);
      } else if (entry.isFile() && isPluginFile(entry.name, typescript)) {
        const stat = statSync(path);
        found.push({ path, size: stat.size, mtimeMs: stat.mtimeMs });
      }
    }
  };
  walk(dir);
  return found;
}
