import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { ReexecError } from '../errors.js';

/** An OCI content descriptor: what a blob must be. */
export interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { os?: string; architecture?: string; variant?: string };
}

export interface ImageLayers {
  manifestDigest: string;
  /** In order, lowest first, each with the uncompressed digest the config names. */
  layers: { path: string; descriptor: Descriptor; diffId: string }[];
}

const INDEX = 'application/vnd.oci.image.index.v1+json';
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const REF_NAME = 'org.opencontainers.image.ref.name';
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

function layoutError(message: string, code = 'BAD_LAYOUT'): ReexecError {
  return new ReexecError('unpack', `image-unpack: ${message}`, { code });
}

function checkDescriptor(d: unknown, what: string): Descriptor {
  const desc = d as Descriptor;
  if (typeof desc !== 'object' || desc === null || typeof desc.digest !== 'string' || !Number.isSafeInteger(desc.size) || desc.size < 0)
    throw layoutError(`${what} is not a descriptor with a digest and a size`);
  if (!DIGEST.test(desc.digest)) throw layoutError(`${what} has digest ${JSON.stringify(desc.digest)}: only sha256:<64 hex digits> is supported`);
  return desc;
}

/** The path of a descriptor's blob, after checking that the file has the size it names. */
export function blobPath(layout: string, desc: Descriptor): string {
  const path = join(layout, 'blobs', 'sha256', desc.digest.slice(7));
  let size;
  try {
    size = statSync(path).size;
  } catch (error) {
    throw layoutError(`blob ${desc.digest} is missing: ${(error as Error).message}`, 'MISSING_BLOB');
  }
  if (size !== desc.size) throw layoutError(`blob ${desc.digest} has ${size} bytes, its descriptor says ${desc.size}`, 'DIGEST_MISMATCH');
  return path;
}

/** A small JSON blob (index, manifest, config), checked against its descriptor. */
function readJsonBlob(layout: string, desc: Descriptor): Record<string, unknown> {
  const data = readFileSync(blobPath(layout, desc));
  const actual = `sha256:${createHash('sha256').update(data).digest('hex')}`;
  if (actual !== desc.digest) throw layoutError(`blob ${desc.digest} hashes to ${actual}`, 'DIGEST_MISMATCH');
  return JSON.parse(data.toString('utf8')) as Record<string, unknown>;
}

function pick(manifests: Descriptor[], ref: string, where: string): Descriptor {
  const byRef = manifests.filter((m) => m.annotations?.[REF_NAME] === ref || m.digest === ref);
  if (byRef.length === 1) return byRef[0]!;
  if (byRef.length > 1) throw layoutError(`${where} has ${byRef.length} manifests named ${JSON.stringify(ref)}`);
  const names = manifests.map((m) => m.annotations?.[REF_NAME] ?? m.digest);
  throw layoutError(`${where} has no manifest named ${JSON.stringify(ref)}; it has: ${names.join(', ') || 'none'}`, 'NO_SUCH_REF');
}

/** In a nested index (a multi-platform image): this machine's linux manifest. */
function forThisPlatform(manifests: Descriptor[]): Descriptor {
  const arch = GOARCH[process.arch] ?? process.arch;
  const match = manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === arch);
  if (!match) throw layoutError(`the image has no manifest for linux/${arch}`, 'NO_SUCH_REF');
  return match;
}

/**
 * Reads an OCI image layout on the host: index.json → manifest `ref` (a ref name or a
 * digest) → config → layers, checking each JSON blob's sha256 and size. Layer blobs are
 * checked while they are unpacked.
 */
export function readImageLayers(layout: string, ref: string): ImageLayers {
  let marker;
  try {
    marker = JSON.parse(readFileSync(join(layout, 'oci-layout'), 'utf8')) as { imageLayoutVersion?: string };
  } catch (error) {
    throw layoutError(`${layout} is not an OCI image layout (oci-layout: ${(error as Error).message})`);
  }
  if (typeof marker.imageLayoutVersion !== 'string' || !marker.imageLayoutVersion.startsWith('1.')) throw layoutError(`unsupported imageLayoutVersion ${JSON.stringify(marker.imageLayoutVersion)}`);
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests?: unknown[] };
  let desc = pick((index.manifests ?? []).map((m, i) => checkDescriptor(m, `index.json manifests[${i}]`)), ref, 'index.json');
  let manifest = readJsonBlob(layout, desc);
  for (let depth = 0; desc.mediaType === INDEX || desc.mediaType === DOCKER_LIST || manifest.mediaType === INDEX; depth++) {
    if (depth > 4) throw layoutError('indexes nested more than 4 deep');
    desc = forThisPlatform(((manifest.manifests as unknown[]) ?? []).map((m, i) => checkDescriptor(m, `${desc.digest} manifests[${i}]`)));
    manifest = readJsonBlob(layout, desc);
  }
  const config = readJsonBlob(layout, checkDescriptor(manifest.config, `manifest ${desc.digest} config`)) as { rootfs?: { diff_ids?: unknown[] } };
  const layers = ((manifest.layers as unknown[]) ?? []).map((l, i) => checkDescriptor(l, `manifest ${desc.digest} layers[${i}]`));
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== layers.length) throw layoutError(`the config lists ${diffIds.length} diff_ids for ${layers.length} layers`, 'DIGEST_MISMATCH');
  return {
    manifestDigest: desc.digest,
    layers: layers.map((descriptor, i) => {
      const diffId = diffIds[i];
      if (typeof diffId !== 'string' || !DIGEST.test(diffId)) throw layoutError(`diff_ids[${i}] is ${JSON.stringify(diffId)}: only sha256 is supported`);
      return { path: blobPath(layout, descriptor), descriptor, diffId };
    }),
  };
}
