import { chownSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

import type { Logger } from 'pino';

import { SHIPPED_PLUGINS } from '../cli/plugins-dir.js';
import { ReexecError } from '../errors.js';
import { defaultIdMappings, type IdMappings } from '../native/id-mappings.js';
import type { UsernsOption } from '../plugins/options.js';
import { Reexecer } from '../plugins/reexecer.js';
import type { ExtractWarning, LayerResult } from './extract.js';
import { readImageLayers } from './oci-layout.js';

export interface ImageUnpackOptions {
  /** true (the default map: a self map, or as root 65536 ids on ROOT_DEFAULT_HOST_ID), 'subids', or explicit maps. */
  userns?: UsernsOption;
  /** Go on past entries that cannot be applied (each a warning). Default false. */
  lenient?: boolean;
  /** Uncompressed bytes allowed per layer (default DEFAULT_MAX_BYTES). */
  maxBytes?: number;
  logger?: Logger;
  signal?: AbortSignal;
}

export interface ImageUnpackResult {
  manifestDigest: string;
  entries: number;
  bytesWritten: number;
  warnings: number;
  warningList: ExtractWarning[];
  whiteouts: number;
  layers: (LayerResult & { descriptorDigest: string })[];
}

/** The rootfs dir: created if missing, else it must be an empty directory. */
function prepareRootfs(dir: string, userns: UsernsOption): void {
  let created = false;
  try {
    if (!statSync(dir).isDirectory()) throw new ReexecError('invalid-options', `image-unpack: ${dir} is not a directory`);
    if (readdirSync(dir).length) throw new ReexecError('invalid-options', `image-unpack: ${dir} is not empty: give a new or an empty directory`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    mkdirSync(dir, { mode: 0o755 });
    created = true;
  }
  // Namespace root must own the rootfs to write into it: as host root with explicit maps,
  // give it to the host id that namespace root maps to.
  const maps = typeof userns === 'object' ? (userns as IdMappings) : undefined;
  if (created && process.geteuid!() === 0 && maps) {
    const uid = maps.uidMappings.find((m) => m.namespaceId === 0)?.hostId;
    const gid = maps.gidMappings.find((m) => m.namespaceId === 0)?.hostId;
    if (uid !== undefined && gid !== undefined) chownSync(dir, uid, gid);
  }
}

/**
 * Unpacks image `ref` of the OCI image layout `layoutDir` into `rootfsDir`: the layers in
 * order, in one sandboxed child (user namespace + chroot into the rootfs), each blob's
 * sha256 checked against its descriptor and each uncompressed layer against the config's
 * diff_ids as it streams. On a mismatch the call fails; nothing outside the rootfs is touched.
 */
export async function imageUnpack(layoutDir: string, ref: string, rootfsDir: string, options: ImageUnpackOptions = {}): Promise<ImageUnpackResult> {
  const image = readImageLayers(layoutDir, ref);
  const rootfs = resolve(rootfsDir);
  // The default maps named here, so that root can give the rootfs to namespace root's host id.
  const userns = (options.userns ?? true) === true ? defaultIdMappings() : options.userns!;
  prepareRootfs(rootfs, userns);
  // Imported here: this module is in the `reexecer` bundle every plugin child loads, and
  // pino unbundled costs a child ≈ 25 ms (node:assert, worker_threads, streams).
  const logger = options.logger ?? (await import('pino')).pino({ level: 'silent' });
  const reexecer = await Reexecer.create({ plugins: [SHIPPED_PLUGINS], logger });
  const args = [
    ...(options.lenient ? ['--lenient'] : []),
    ...(options.maxBytes !== undefined ? ['--max-bytes', String(options.maxBytes)] : []),
    ...image.layers.flatMap((l) => ['--digest', l.descriptor.digest, '--diff-id', l.diffId]),
  ];
  let result;
  try {
    result = await reexecer.reexec('unpack', { files: image.layers.map((l) => l.path), chroot: rootfs, userns, args, signal: options.signal });
  } catch (error) {
    // The child's own verdict (an entry, a digest, maxBytes) is the error, not that it threw.
    const cause = (error as ReexecError).cause as { kind?: string; message?: string; code?: string; path?: string } | undefined;
    if (error instanceof ReexecError && error.kind === 'plugin-threw' && cause?.kind === 'unpack')
      throw new ReexecError('unpack', `image-unpack: ${cause.message}`, { code: cause.code, path: cause.path, cause: error });
    throw error;
  }
  const value = result.value as Omit<ImageUnpackResult, 'manifestDigest' | 'layers'> & { layers: LayerResult[] };
  return {
    manifestDigest: image.manifestDigest,
    ...value,
    layers: value.layers.map((l, i) => ({ ...l, descriptorDigest: image.layers[i]!.descriptor.digest })),
  };
}
