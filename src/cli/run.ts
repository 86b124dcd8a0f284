import { pino } from 'pino';

import type { IdMappings } from '../native/id-mappings.js';
import { PLUGIN_NAMESPACES, type PluginNamespace, type UsernsOption } from '../plugins/options.js';
import { Reexecer } from '../plugins/reexecer.js';
import { parse, parseMapping, UsageError } from './args.js';
import { toJson } from './json.js';
import { readableStderr } from './log-format.js';
import { pluginDirs } from './plugins-dir.js';

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse('run', argv, {
    plugins: { type: 'string', multiple: true },
    chroot: { type: 'string' },
    userns: { type: 'boolean' },
    subids: { type: 'boolean' },
    'map-uid': { type: 'string', multiple: true },
    'map-gid': { type: 'string', multiple: true },
    ns: { type: 'string', multiple: true },
    file: { type: 'string', multiple: true },
    timeout: { type: 'string' },
    'log-level': { type: 'string' },
  });
  if (values.help) return -1;
  const [id, ...args] = positionals;
  if (!id) throw new UsageError('give the id of the plugin to run', 'run');

  const uidMaps = (values['map-uid'] as string[] | undefined)?.map((m) => parseMapping(m, 'run'));
  const gidMaps = (values['map-gid'] as string[] | undefined)?.map((m) => parseMapping(m, 'run'));
  if ((uidMaps === undefined) !== (gidMaps === undefined)) throw new UsageError('give --map-uid and --map-gid together', 'run');
  if ([values.userns, values.subids, uidMaps].filter(Boolean).length > 1) throw new UsageError('choose one of --userns, --subids and --map-uid/--map-gid', 'run');
  const userns: UsernsOption | undefined = uidMaps ? ({ uidMappings: uidMaps, gidMappings: gidMaps! } satisfies IdMappings) : values.subids ? 'subids' : values.userns ? true : undefined;
  const namespaces = values.ns as string[] | undefined;
  for (const ns of namespaces ?? [])
    if (!PLUGIN_NAMESPACES.includes(ns as PluginNamespace)) throw new UsageError(`unknown namespace ${JSON.stringify(ns)}: use uts, ipc, net, pid or mount (--userns for user)`, 'run');
  const timeout = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0)) throw new UsageError('--timeout takes a positive number of milliseconds', 'run');
  const level = (values['log-level'] as string | undefined) ?? 'info';
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(level)) throw new UsageError(`unknown log level ${JSON.stringify(level)}`, 'run');

  const logger = pino({ level }, readableStderr());
  const reexecer = await Reexecer.create({ plugins: pluginDirs(values.plugins as string[] | undefined), logger });
  const abort = new AbortController();
  const onSignal = () => abort.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  const result = await reexecer.reexec(id, {
    args,
    files: values.file as string[] | undefined,
    chroot: values.chroot as string | undefined,
    userns,
    namespaces: namespaces as PluginNamespace[] | undefined,
    timeoutMs: timeout,
    signal: abort.signal,
    stdin: process.stdin.isTTY ? undefined : process.stdin,
  });
  process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  process.stderr.write(result.stderr);
  if (result.stdout.length) process.stderr.write(result.stdout);
  process.stdout.write(`${toJson(result.value)}\n`);
  return 0;
}
