import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Both the unbundled module (dist/plugins/) and the bundle (dist/bundles/) sit two levels
// below the package root.

/** The directory of the plugins shipped with reexecer, for `plugins: [SHIPPED_PLUGINS]`. */
export const SHIPPED_PLUGINS = fileURLToPath(new URL('../../plugins/dist', import.meta.url));

let version: string | undefined;

/** This package's version: the shipped plugins' manifest is fresh for exactly it. */
export function packageVersion(): string {
  return (version ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version);
}

export function isShippedDir(dir: string): boolean {
  try {
    return realpathSync(dir) === realpathSync(SHIPPED_PLUGINS);
  } catch {
    return false;
  }
}
