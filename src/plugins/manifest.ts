import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { PluginFile } from './discovery.js';
import type { SandboxedOptions } from './options.js';
import type { PluginInfo } from './plugin-registry.js';

export const MANIFEST_FILE = 'reexecer.manifest.json';
const FORMAT = 1;

/** Like oclif's manifest: what the plugins of a directory are, without importing them. */
export interface Manifest {
  format: typeof FORMAT;
  /** Candidate files (relative paths) with size and mtime: any change makes the manifest stale. */
  files: { path: string; size: number; mtimeMs: number }[];
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

export function manifestFiles(dir: string, files: readonly PluginFile[]): Manifest['files'] {
  return files.map((f) => ({ path: relative(dir, f.path), size: f.size, mtimeMs: f.mtimeMs }));
}

export function isFresh(manifest: Manifest, dir: string, files: readonly PluginFile[]): boolean {
  const current = manifestFiles(dir, files);
  return (
    current.length === manifest.files.length &&
    current.every((f, i) => {
      const m = manifest.files[i]!;
      return m.path === f.path && m.size === f.size && m.mtimeMs === f.mtimeMs;
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

