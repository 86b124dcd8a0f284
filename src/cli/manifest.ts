import { listPluginFiles } from '../plugins/discovery.js';
import { buildManifest, writeManifest } from '../plugins/manifest.js';
import { checkDir, checkTypeScript, importPluginDir } from '../plugins/load-plugins.js';
import { parse, UsageError } from './args.js';

export async function manifest(argv: string[]): Promise<number> {
  const { values, positionals } = parse('manifest', argv, {});
  if (values.help) return -1;
  if (positionals.length !== 1) throw new UsageError('give exactly one plugin directory', 'manifest');
  const dir = checkDir(positionals[0]!);
  const files = listPluginFiles(dir);
  checkTypeScript(dir, files);
  const plugins = await importPluginDir(dir, files);
  const path = writeManifest(dir, buildManifest(dir, files, plugins));
  process.stdout.write(`${path}: ${plugins.length} plugin(s) in ${files.length} file(s)\n`);
  return 0;
}
