import { loadPlugins } from '../plugins/load-plugins.js';
import { parse } from './args.js';
import { pluginDirs } from './plugins-dir.js';

export async function list(argv: string[]): Promise<number> {
  const { values } = parse('list', argv, { plugins: { type: 'string', multiple: true }, json: { type: 'boolean' } });
  if (values.help) return -1;
  const plugins = await loadPlugins(pluginDirs(values.plugins as string[] | undefined));
  if (values.json) {
    process.stdout.write(`${JSON.stringify(plugins, null, 2)}\n`);
    return 0;
  }
  for (const p of plugins) {
    const { id: _id, ...options } = p.options;
    process.stdout.write(`${p.id.padEnd(16)} ${p.className.padEnd(16)} ${JSON.stringify(options)}  ${new URL(p.module).pathname}\n`);
  }
  return 0;
}
