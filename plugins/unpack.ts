import { parseArgs } from 'node:util';

import { ARGS, FILES, inject, LOGGER, Sandboxed, type Logger, type SandboxedPlugin, type SandboxFile } from 'reexecer';
import { extractLayer, type ExtractWarning, type LayerResult } from 'reexecer/layers';

export interface UnpackResult {
  entries: number;
  /** Bytes of file content written. */
  bytesWritten: number;
  /** Entries not applied (only with --lenient: else the first one fails the call). */
  warnings: number;
  /** The first 1000 warnings, each with the entry's path. */
  warningList: ExtractWarning[];
  whiteouts: number;
  /** One per layer file, in the order applied. */
  layers: LayerResult[];
}

const USAGE =
  'unpack: args are [--lenient] [--max-bytes N] [--plain-tar] [--digest sha256:HEX --diff-id sha256:HEX, once per file]; files are the layers, applied in order';

function options(args: readonly string[], layers: number) {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        lenient: { type: 'boolean' },
        'max-bytes': { type: 'string' },
        'plain-tar': { type: 'boolean' },
        digest: { type: 'string', multiple: true },
        'diff-id': { type: 'string', multiple: true },
      },
    }).values;
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${USAGE}`);
  }
  const maxBytes = parsed['max-bytes'] === undefined ? undefined : Number(parsed['max-bytes']);
  for (const [name, list] of [['--digest', parsed.digest], ['--diff-id', parsed['diff-id']]] as const)
    if (list && list.length !== layers) throw new Error(`unpack: give ${name} once per layer file (${layers}), got ${list.length}`);
  return { lenient: parsed.lenient ?? false, maxBytes, whiteouts: !parsed['plain-tar'], digests: parsed.digest, diffIds: parsed['diff-id'] };
}

/**
 * GrootFS's job: apply image layers (plain, gzip or zstd tar; OCI whiteouts) in order onto
 * the chroot dir as mapped root, keeping modes, owners (through the map), mtimes, xattrs,
 * symlinks and hardlinks. Strict: the first entry that cannot be applied fails the call.
 */
@Sandboxed({ id: 'unpack', chroot: true, userns: true })
export class Unpack implements SandboxedPlugin {
  constructor(
    @inject(LOGGER) private readonly log: Logger,
    @inject(FILES) private readonly files: readonly SandboxFile[],
    @inject(ARGS) private readonly args: readonly string[],
  ) {}

  async run(): Promise<UnpackResult> {
    if (this.files.length === 0) throw new Error('unpack: pass the layer tarballs as files');
    const opts = options(this.args, this.files.length);
    const result: UnpackResult = { entries: 0, bytesWritten: 0, warnings: 0, warningList: [], whiteouts: 0, layers: [] };
    for (const [index, layer] of this.files.entries()) {
      const r = await extractLayer(layer.fd, '/', {
        lenient: opts.lenient,
        maxBytes: opts.maxBytes,
        whiteouts: opts.whiteouts,
        digest: opts.digests?.[index],
        diffId: opts.diffIds?.[index],
      });
      for (const w of r.warningList) this.log.warn({ path: w.path, op: w.op, code: w.code }, `entry not applied: ${w.path}`);
      result.entries += r.entries;
      result.bytesWritten += r.bytesWritten;
      result.warnings += r.warnings;
      result.whiteouts += r.whiteouts;
      result.warningList.push(...r.warningList.slice(0, 1000 - result.warningList.length));
      result.layers.push(r);
      this.log.info({ layer: layer.path, index, of: this.files.length, entries: r.entries, bytesWritten: r.bytesWritten, warnings: r.warnings, compression: r.compression }, 'layer unpacked');
    }
    return result;
  }
}
