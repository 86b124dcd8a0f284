import { Writable } from 'node:stream';

import { pino } from 'pino';

import { imageUnpack } from '../layers/image-unpack.js';
import type { IdMapping, IdMappings } from '../native/id-mappings.js';
import { checkCliFlags, cliFlagConfig } from '../options/cli.js';
import type { UsernsOption } from '../plugins/options.js';
import { parse, UsageError } from './args.js';
import { toJson } from './json.js';
import { formatLine } from './log-format.js';

const MB = 1e6;
const USERNS_FLAGS = ['userns', 'subids', 'map-uid', 'map-gid'];

/** Warnings and errors as readable lines; on a TTY also one progress line per layer. */
function progressStderr(tty: boolean): Writable {
  let partial = '';
  const show = (line: string) => {
    const record = JSON.parse(line) as { level: number; msg?: string; index?: number; of?: number; layer?: string; entries?: number; bytesWritten?: number; compression?: string };
    if (record.msg === 'layer unpacked') {
      if (tty)
        process.stderr.write(
          `layer ${record.index! + 1}/${record.of}: ${record.entries} entries, ${(record.bytesWritten! / MB).toFixed(1)} MB (${record.compression}) ${record.layer?.split('/').pop()?.slice(0, 12)}\n`,
        );
    } else if (record.level >= 40) process.stderr.write(`${formatLine(line)}\n`);
  };
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop()!;
      for (const line of lines) if (line) show(line);
      done();
    },
  });
}

export async function imageUnpackCommand(argv: string[]): Promise<number> {
  // The user-namespace flags are run's, checked by the same schema rows.
  const shared = Object.fromEntries(Object.entries(cliFlagConfig()).filter(([name]) => USERNS_FLAGS.includes(name)));
  const { values: raw, positionals } = parse('image-unpack', argv, { ...shared, lenient: { type: 'boolean' }, 'max-bytes': { type: 'string' } });
  if (raw.help) return -1;
  const [layout, ref, rootfs, ...extra] = positionals;
  if (!layout || !ref || !rootfs || extra.length) throw new UsageError('give <layout-dir> <ref> <rootfs-dir>', 'image-unpack');
  const checked = checkCliFlags(raw);
  if ('problem' in checked) throw new UsageError(checked.problem, 'image-unpack');
  const values: Record<string, unknown> = { ...raw, ...checked.values };
  const uidMaps = values['map-uid'] as IdMapping[] | undefined;
  const gidMaps = values['map-gid'] as IdMapping[] | undefined;
  if ((uidMaps === undefined) !== (gidMaps === undefined)) throw new UsageError('give --map-uid and --map-gid together', 'image-unpack');
  if ([values.userns, values.subids, uidMaps].filter(Boolean).length > 1) throw new UsageError('choose one of --userns, --subids and --map-uid/--map-gid', 'image-unpack');
  const userns: UsernsOption = uidMaps ? ({ uidMappings: uidMaps, gidMappings: gidMaps! } satisfies IdMappings) : values.subids ? 'subids' : true;
  const maxBytes = values['max-bytes'] === undefined ? undefined : Number(values['max-bytes']);
  if (maxBytes !== undefined && !(Number.isSafeInteger(maxBytes) && maxBytes > 0)) throw new UsageError('--max-bytes takes a positive integer', 'image-unpack');

  const logger = pino({ level: 'info' }, progressStderr(process.stderr.isTTY === true));
  const abort = new AbortController();
  const onSignal = () => abort.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    const result = await imageUnpack(layout, ref, rootfs, { userns, lenient: values.lenient as boolean | undefined, maxBytes, logger, signal: abort.signal });
    process.stdout.write(`${toJson({ ...result, warningList: result.warningList.slice(0, 20) })}\n`);
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
  return 0;
}
