import { fileURLToPath } from 'node:url';

/** The plugins shipped with reexecer (plugins/*.ts, compiled to plugins/dist). */
export const SHIPPED_PLUGINS = fileURLToPath(new URL('../../plugins/dist', import.meta.url));

export function pluginDirs(given: string[] | undefined): string[] {
  return given?.length ? given : [SHIPPED_PLUGINS];
}
