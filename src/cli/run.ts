import { pino } from 'pino';

import type { IdMapping } from '../native/id-mappings.js';
import { checkCliFlags, cliFlagConfig } from '../options/cli.js';
import { landlockFromFlags, limitsFromFlags } from '../options/schema.js';
import type { PluginNamespace, UsernsOption } from '../plugins/options.js';
import { Reexecer } from '../plugins/reexecer.js';
import { parse, UsageError } from './args.js';
import { toJson } from './json.js';
import { readableStderr } from './log-format.js';
import { pluginDirs } from './plugins-dir.js';

export async function run(argv: string[]): Promise<number> {
  const parsed = parse('run', argv, cliFlagConfig());
  if (parsed.values.help) return -1;
  const [id, ...args] = parsed.positionals;
  if (!id) throw new UsageError('give the id of the plugin to run', 'run');
  const checked = checkCliFlags(parsed.values);
  if ('problem' in checked) throw new UsageError(checked.problem, 'run');
  const values = checked.values;

  const uidMaps = values['map-uid'] as IdMapping[] | undefined;
  const gidMaps = values['map-gid'] as IdMapping[] | undefined;
  if ((uidMaps === undefined) !== (gidMaps === undefined)) throw new UsageError('give --map-uid and --map-gid together', 'run');
  if ([values.userns, values.subids, uidMaps].filter(Boolean).length > 1) throw new UsageError('choose one of --userns, --subids and --map-uid/--map-gid', 'run');
  const userns: UsernsOption | undefined = uidMaps ? { uidMappings: uidMaps, gidMappings: gidMaps! } : values.subids ? 'subids' : values.userns ? true : undefined;
  const level = (values['log-level'] as string | undefined) ?? 'info';

  const logger = pino({ level }, readableStderr());
  const reexecer = await Reexecer.create({
    plugins: pluginDirs(values.plugins as string[] | undefined),
    logger,
    dangerouslyMapHostRoot: values['dangerously-map-host-root'] as boolean | undefined,
  });
  const abort = new AbortController();
  const onSignal = () => abort.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  const result = await reexecer.reexec(id, {
    args,
    files: values.file as string[] | undefined,
    chroot: values.chroot as string | undefined,
    userns,
    namespaces: values.ns as PluginNamespace[] | undefined,
    noNewPrivileges: values['allow-new-privileges'] ? false : undefined,
    timeoutMs: values.timeout as number | undefined,
    limits: values.limit ? limitsFromFlags(values.limit as [string, number][]) : undefined,
    landlock: values.landlock ? landlockFromFlags(values.landlock as [string, string][]) : undefined,
    signal: abort.signal,
    stdin: process.stdin.isTTY ? undefined : process.stdin,
  });
  process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  process.stderr.write(result.stderr);
  if (result.stdout.length) process.stderr.write(result.stdout);
  process.stdout.write(`${toJson(result.value)}\n`);
  return 0;
}
