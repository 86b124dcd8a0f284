import { createHash, type Hash } from 'node:crypto';
import { createReadStream, readSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { ReexecError } from '../errors.js';
import { addon } from '../native/addon.js';
import { errnoName } from '../native/errno.js';
import { ROOT_DEFAULT_HOST_ID } from '../native/id-mappings.js';
import { decompressor, detectCompression, peek, type Compression } from './compression.js';
import { displayPath } from './display-path.js';

/** Uncompressed bytes of one layer allowed by default: 32 GiB. */
export const DEFAULT_MAX_BYTES = 32 * 2 ** 30;

export interface ExtractOptions {
  /** Go on past entries that cannot be applied; each becomes a warning. Default false. */
  lenient?: boolean;
  /** Stop with code MAX_BYTES once the uncompressed archive exceeds this. Default DEFAULT_MAX_BYTES. */
  maxBytes?: number;
  /** Apply OCI whiteouts (`.wh.<name>`, `.wh..wh..opq`) instead of writing them. Default true. */
  whiteouts?: boolean;
  /** Give entries the archive's owners (needs CAP_CHOWN, e.g. namespace root). Default true. */
  owners?: boolean;
  /** `sha256:<hex>` of the bytes as read (the blob); checked when the stream ends. */
  digest?: string;
  /** `sha256:<hex>` of the uncompressed tar (the config's diff_id); checked when the stream ends. */
  diffId?: string;
  /** Report the blob's and the tar's sha256 even when none is to be checked. */
  hash?: boolean;
  /** Resolve paths by an O_NOFOLLOW walk even where openat2 exists (the pre-5.6 path). */
  walk?: boolean;
}

export interface ExtractWarning {
  /** The entry's name as archived; bytes that are not UTF-8 shown as \xNN. */
  path: string;
  /** The step that failed (open, write, fchown, mkdir, link, refuse-dotdot...). */
  op: string;
  code: string;
}

export interface LayerResult {
  entries: number;
  /** Bytes of file content written. */
  bytesWritten: number;
  /** Entries not applied (lenient only). */
  warnings: number;
  /** The first 1000 of them. */
  warningList: ExtractWarning[];
  whiteouts: number;
  compression: Compression;
  /** Bytes of the uncompressed tar. */
  tarBytes: number;
  /** sha256 of the blob and of the uncompressed tar, when checked or asked for (`hash`). */
  digest?: string;
  diffId?: string;
}

interface NativeProblem {
  path: Buffer;
  op: string;
  errno: number;
}
interface NativeReport {
  entries: number;
  bytesWritten: number;
  streamBytes: number;
  whiteouts: number;
  warningCount: number;
  warnings: NativeProblem[];
  failure?: NativeProblem;
}
interface NativeExtractor {
  write(chunk: Buffer): Promise<boolean>;
  extractFd(fd: number): Promise<boolean>;
  end(): Promise<boolean>;
  report(): NativeReport;
  close(): void;
}
type ExtractorClass = new (root: string | Buffer, options: { lenient: boolean; maxBytes: number; whiteouts: boolean; owners: boolean; walk: boolean }) => NativeExtractor;
const Extractor = (addon as unknown as { Extractor: ExtractorClass }).Extractor;

const WHY: Record<string, string> = {
  'refuse-dotdot': "its name has a '..' component",
  'refuse-link-target': "its link target is empty or has a '..' component",
  'unsupported-type': 'its entry type is not supported',
  maxBytes: 'the uncompressed layer is larger than maxBytes',
  header: 'the tar header is corrupt',
  pax: 'the PAX header is corrupt',
  read: 'the archive ends inside an entry',
};

function problem(p: NativeProblem): ExtractWarning {
  return { path: displayPath(p.path), op: p.op, code: p.op === 'maxBytes' ? 'MAX_BYTES' : errnoName(p.errno) };
}

function failureError(p: NativeProblem): ReexecError {
  const w = problem(p);
  const why = WHY[p.op] ?? `${p.op} failed: ${w.code}`;
  const hint =
    w.code === 'EINVAL' && (p.op === 'fchown' || p.op === 'lchown')
      ? 'the user namespace maps no id for this owner: map a range (--subids, --map-uid/--map-gid) or pass lenient: true'
      : w.code === 'EACCES' && w.path.split('/').filter(Boolean).length <= 1
        ? `the sandbox writes as the host id its namespace root maps to (as host root by default ${ROOT_DEFAULT_HOST_ID}), which may not write the target directory: give that id the directory (chown), or choose the map (--map-uid/--map-gid, --subids)`
        : undefined;
  return new ReexecError('unpack', `unpack: cannot apply ${JSON.stringify(w.path)}: ${why}`, { code: w.code, step: p.op, path: w.path, hint });
}

/** True when `fd` is a file (readable at an offset) holding a plain tar. */
function plainFile(fd: number): boolean {
  const head = Buffer.alloc(4);
  try {
    return detectCompression(head.subarray(0, readSync(fd, head, 0, 4, 0))) === 'none';
  } catch {
    return false; // a pipe: no pread
  }
}

function resultOf(report: NativeReport, compression: Compression): LayerResult {
  if (report.failure) throw failureError(report.failure);
  return {
    entries: report.entries,
    bytesWritten: report.bytesWritten,
    warnings: report.warningCount,
    warningList: report.warnings.map(problem),
    whiteouts: report.whiteouts,
    compression,
    tarBytes: report.streamBytes,
  };
}

/** Hashes what flows through, as `sha256:<hex>` once done. */
function hashing(source: AsyncIterable<Buffer>, hash: Hash): AsyncGenerator<Buffer> {
  return (async function* () {
    for await (const chunk of source) {
      hash.update(chunk);
      yield chunk;
    }
  })();
}

function checkDigest(what: string, expected: string | undefined, actual: string | undefined): void {
  if (expected !== undefined && expected !== actual)
    throw new ReexecError('unpack', `unpack: the ${what} is ${actual}, not ${expected} as its descriptor says`, { code: 'DIGEST_MISMATCH' });
}

function checkDigestOption(name: string, value: string | undefined): void {
  if (value !== undefined && !/^sha256:[0-9a-f]{64}$/.test(value)) throw new ReexecError('invalid-options', `${name} must be sha256:<64 hex digits>, got ${JSON.stringify(value)}`);
}

/**
 * Extracts one layer (plain, gzip or zstd, told apart by its bytes) from `source` (an open
 * fd, or a stream) into `rootDir`. Strict unless `lenient`: the first entry that cannot be
 * applied rejects with a ReexecError of kind 'unpack' naming its path and errno.
 */
export async function extractLayer(source: number | Readable, rootDir: string | Buffer, options: ExtractOptions = {}): Promise<LayerResult> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!(Number.isSafeInteger(maxBytes) && maxBytes > 0)) throw new ReexecError('invalid-options', `maxBytes must be a positive integer, got ${maxBytes}`);
  checkDigestOption('digest', options.digest);
  checkDigestOption('diffId', options.diffId);
  const extractor = new Extractor(rootDir, {
    lenient: options.lenient ?? false,
    maxBytes,
    whiteouts: options.whiteouts ?? true,
    owners: options.owners ?? true,
    walk: options.walk ?? false,
  });
  let pending: Promise<boolean> | undefined;
  try {
    const direct = typeof source === 'number' && !options.digest && !options.diffId && !options.hash && plainFile(source);
    if (direct) {
      await (pending = extractor.extractFd(source));
      return resultOf(extractor.report(), 'none');
    }
    const input = typeof source === 'number' ? createReadStream('', { fd: source, highWaterMark: 1 << 20, autoClose: false }) : source;
    // Hashing costs CPU on this thread: only for what is to be checked or asked for.
    const { head, stream } = await peek(input);
    const compression = detectCompression(head);
    const hashBlob = options.digest !== undefined || options.hash || (compression === 'none' && options.diffId !== undefined);
    const blobHash = hashBlob ? createHash('sha256') : undefined;
    const tarHash = compression !== 'none' && (options.diffId !== undefined || options.hash) ? createHash('sha256') : undefined;
    const blob = Readable.from(blobHash ? hashing(stream, blobHash) : stream, { objectMode: false });
    // One write in flight: the next chunk is read, decompressed and hashed meanwhile.
    const feed = async (tar: AsyncIterable<Buffer>) => {
      for await (const chunk of tarHash ? hashing(tar, tarHash) : tar) {
        if (pending && !(await pending)) return;
        pending = extractor.write(chunk);
      }
      if (pending && !(await pending)) return;
      await (pending = extractor.end());
    };
    const decompress = decompressor(compression);
    if (decompress) await pipeline(blob, decompress, feed);
    else await pipeline(blob, feed);
    // An entry that failed stopped the feed: that, not the digest of what was read, is the error.
    const result = resultOf(extractor.report(), compression);
    const digest = blobHash && `sha256:${blobHash.digest('hex')}`;
    const diffId = tarHash ? `sha256:${tarHash.digest('hex')}` : compression === 'none' ? digest : undefined;
    checkDigest('blob digest', options.digest, digest);
    checkDigest('uncompressed digest (diff_id)', options.diffId, diffId);
    return { ...result, digest, diffId };
  } catch (error) {
    if (error instanceof ReexecError) throw error;
    await pending?.catch(() => undefined);
    // A failed entry stops the feed early, and the streams before it then report a premature close.
    const failure = extractor.report().failure;
    if (failure) throw failureError(failure);
    const code = (error as NodeJS.ErrnoException).code;
    throw new ReexecError('unpack', `unpack: the layer could not be read: ${(error as Error).message}`, { cause: error, code });
  } finally {
    await pending?.catch(() => undefined);
    extractor.close();
    if (typeof source !== 'number') source.destroy();
  }
}
