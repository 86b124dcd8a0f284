import { SHIPPED_PLUGINS } from '../plugins/shipped.js';

export { SHIPPED_PLUGINS };

export function pluginDirs(given: string[] | undefined): string[] {
  return given?.length ? given : [SHIPPED_PLUGINS];
}
