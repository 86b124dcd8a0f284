import type { SandboxedOptions } from '../plugins/options.js';
import type { PluginInfo } from '../plugins/plugin-registry.js';
import { loadPlugins } from '../plugins/load-plugins.js';
import { parse } from './args.js';
import { pluginDirs } from './plugins-dir.js';

/** What binds a plugin's code, defaults included: the filter, Landlock, its limits. */
function containment(options: SandboxedOptions) {
  return {
    seccomp: options.seccomp !== false,
    landlock: options.landlock ?? 'scoped',
    limits: options.limits ?? {},
  };
}

function describe(c: ReturnType<typeof containment>): string {
  const landlock = c.landlock === 'scoped' ? 'scoped' : JSON.stringify(c.landlock);
  const limits = Object.entries(c.limits).map(([k, v]) => `${k}=${v}`);
  return `seccomp:${c.seccomp ? 'on' : 'off'} landlock:${landlock} limits:${limits.length ? limits.join(',') : 'none'}`;
}

export async function list(argv: string[]): Promise<number> {
  const { values } = parse('list', argv, { plugins: { type: 'string', multiple: true }, json: { type: 'boolean' } });
  if (values.help) return -1;
  const plugins: PluginInfo[] = await loadPlugins(pluginDirs(values.plugins as string[] | undefined));
  if (values.json) {
    process.stdout.write(`${JSON.stringify(plugins.map((p) => ({ ...p, containment: containment(p.options) })), null, 2)}\n`);
    return 0;
  }
  for (const p of plugins) {
    const { id: _id, limits: _l, seccomp: _s, landlock: _ll, ...options } = p.options;
    process.stdout.write(`${p.id.padEnd(16)} ${p.className.padEnd(16)} ${JSON.stringify(options)}  ${describe(containment(p.options))}  ${new URL(p.module).pathname}\n`);
  }
  return 0;
}
