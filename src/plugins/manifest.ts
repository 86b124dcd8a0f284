import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { PluginFile } from './discovery.js';
import type { SandboxedOptions } from './options.js';
import type { PluginInfo } from './plugin-registry.js';
import { isShippedDir, packageVersion } from './shipped.js';

export const MANIFEST_FILE = 'reexecer.manifest.json';
const FORMAT = 2;

/** Like oclif's manifest: what the plugins of a directory are, without importing them. */
export interface Manifest {
  format: typeof FORMAT;
  /**
   * In the shipped plugins' manifest: the reexecer version it was built for, which alone
   * decides its freshness (an installed package's files are what was packed).
   */
  version?: string;
  /**
   * Candidate files (relative paths) with a hash of their content: a changed, added or
   * removed file makes the manifest stale; a copy, an install or a touch does not.
   */
  files: { path: string; sha256: string }[];
  plugins: { id: string; file: string; exportName?: string; className: string; options: SandboxedOptions }[];
}

export function readManifest(dir: string): Manifest | undefined {
  try {
    const manifest = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as Manifest;
    return manifest?.format === FORMAT && Array.isArray(manifest.files) && Array.isArray(manifest.plugins) ? manifest : undefined;
  } catch {
    return undefined; // missing or unreadable: the directory is scanned instead
  }
}

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

export function manifestFiles(dir: string, files: readonly PluginFile[]): Manifest['files'] {
  return files.map((f) => ({ path: relative(dir, f.path), sha256: sha256(f.path) }));
}

export function isFresh(manifest: Manifest, dir: string, files: readonly PluginFile[]): boolean {
  if (manifest.version !== undefined && isShippedDir(dir)) return manifest.version === packageVersion();
  return (
    files.length === manifest.files.length &&
    files.every((f, i) => {
      const m = manifest.files[i]!;
      return m.path === relative(dir, f.path) && m.sha256 === sha256(f.path);
    })
  );
}

/** Written to a temporary name and renamed, so a reader never sees half a manifest. */
export function writeManifest(dir: string, manifest: Manifest): string {
  const path = join(dir, MANIFEST_FILE);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(temporary, path);
  return path;
}

export function buildManifest(dir: string, files: readonly PluginFile[], plugins: readonly PluginInfo[]): Manifest {
  return {
    format: FORMAT,
    ...(isShippedDir(dir) ? { version: packageVersion() } : {}),
    files: manifestFiles(dir, files),
    plugins: plugins.map((p) => ({
      id: p.id,
      file: relative(dir, fileURLToPath(p.module)),
      exportName: p.exportName,
      className: p.className,
      options: p.options,
    })),
  };
}

