import { chmodSync, closeSync, lstatSync, lutimesSync, readSync, utimesSync } from 'node:fs';
import { posix } from 'node:path';

import { UnpackSync, type ReadEntry } from 'tar';
import { FILES, inject, LOGGER, Sandboxed, type Logger, type SandboxedPlugin, type SandboxFile } from 'reexecer';

export interface UnpackResult {
  entries: number;
  /** Bytes of file content written. */
  bytesWritten: number;
  /** Entries skipped or not applied fully (a `..` path, a write through a symlink, an owner the map lacks). */
  warnings: number;
}

const MAX_LOGGED_WARNINGS = 20;
const CHUNK = 1024 * 1024;

/**
 * Tar's own path policy, re-stated for an unpack into `/`: tar compares every path with
 * `cwd + '/'`, which for a cwd of `/` is `//`, so its checks must be turned off
 * (preservePaths) and done here. The chroot is what contains hostile paths; this only
 * keeps the layer itself as the archive names it: no `..`, no writing through symlinks.
 */
class PathPolicy {
  private readonly knownDirs = new Set<string>(['']);

  refusal(path: string, entry: ReadEntry): string | undefined {
    const parts = path.split('/').filter((p) => p !== '' && p !== '.');
    if (parts.includes('..')) return `path contains '..': ${path}`;
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      if (this.knownDirs.has(prefix)) continue;
      try {
        const stat = lstatSync(`/${prefix}`);
        if (stat.isSymbolicLink()) return `would write through the symlink /${prefix}: ${path}`;
        if (stat.isDirectory()) this.knownDirs.add(prefix);
      } catch {
        break; // not there yet: tar creates it as a directory
      }
    }
    if (entry.type !== 'Directory') this.knownDirs.delete(parts.join('/'));
    return undefined;
  }
}

/**
 * What tar leaves wrong, put right once everything is written, deepest first (as GNU tar
 * delays them): a directory's mtime changes as its entries are created, chown(2) clears
 * set-id bits that were set before it, mkdir(2) drops a directory's setgid, and symlink
 * mtimes are never set. Each path is looked at again first: a later entry may have
 * replaced it, and chmod would follow a symlink.
 */
class Attributes {
  private readonly pending: { path: string; type: 'dir' | 'file' | 'symlink'; mode: number; mtime?: Date }[] = [];

  note(entry: ReadEntry): void {
    const type = entry.type === 'Directory' ? 'dir' : entry.type === 'SymbolicLink' ? 'symlink' : entry.type === 'File' || entry.type === 'OldFile' || entry.type === 'ContiguousFile' ? 'file' : undefined;
    const mode = (entry.mode ?? 0) & 0o7777;
    if (type === undefined || (type === 'file' && (mode & 0o6000) === 0)) return;
    this.pending.push({ path: posix.join('/', entry.path), type, mode, mtime: entry.mtime });
  }

  apply(): void {
    const depth = (path: string) => path.split('/').length;
    for (const item of this.pending.sort((a, b) => depth(b.path) - depth(a.path))) {
      let stat;
      try {
        stat = lstatSync(item.path);
      } catch {
        continue; // refused or replaced
      }
      if (item.type === 'symlink') {
        if (stat.isSymbolicLink() && item.mtime) lutimesSync(item.path, item.mtime, item.mtime);
      } else if (item.type === 'dir' ? stat.isDirectory() : stat.isFile()) {
        chmodSync(item.path, item.mode);
        if (item.type === 'dir' && item.mtime) utimesSync(item.path, item.mtime, item.mtime);
      }
    }
  }
}

/**
 * GrootFS's job: untar a layer (plain or gzip) into the chroot dir as mapped root, keeping
 * modes, owners (through the map), mtimes, symlinks and hardlinks. Extraction is
 * synchronous so that each entry is on disk before the next one's path is checked.
 */
@Sandboxed({ id: 'unpack', chroot: true, userns: true })
export class Unpack implements SandboxedPlugin {
  constructor(
    @inject(LOGGER) private readonly log: Logger,
    @inject(FILES) private readonly files: readonly SandboxFile[],
  ) {}

  run(): UnpackResult {
    const layer = this.files[0];
    if (!layer || this.files.length !== 1) throw new Error('unpack: pass exactly one layer tarball as a file');
    const result: UnpackResult = { entries: 0, bytesWritten: 0, warnings: 0 };
    process.umask(0); // modes exactly as archived; this child exists for this run only
    const warn = (code: string, message: string) => {
      result.warnings++;
      if (result.warnings <= MAX_LOGGED_WARNINGS) this.log.warn({ code }, message);
    };
    const policy = new PathPolicy();
    const finish = new Attributes();
    const unpacker = new UnpackSync({
      cwd: '/',
      preservePaths: true,
      preserveOwner: process.getuid!() === 0,
      chmod: true,
      processUmask: 0,
      // Directories and files the archive has no mode for (implicit parents): what tar(1)
      // would create with the usual umask, not world-writable.
      dmode: 0o755,
      fmode: 0o644,
      filter: (path, entry) => {
        const refusal = policy.refusal(path, entry as ReadEntry);
        if (refusal) warn('TAR_ENTRY_REFUSED', refusal);
        return refusal === undefined;
      },
      onReadEntry: (entry: ReadEntry) => {
        result.entries++;
        if (entry.type === 'File' || entry.type === 'OldFile' || entry.type === 'ContiguousFile') result.bytesWritten += entry.size;
        finish.note(entry);
      },
      onwarn: warn,
    });
    try {
      // A fresh buffer per read: the parser may keep a chunk it has not finished with.
      for (let chunk = Buffer.allocUnsafe(CHUNK), n; (n = readSync(layer.fd, chunk)) > 0; chunk = Buffer.allocUnsafe(CHUNK))
        unpacker.write(chunk.subarray(0, n));
      unpacker.end();
      finish.apply();
    } finally {
      closeSync(layer.fd);
    }
    this.log.info({ layer: layer.path, ...result }, 'layer unpacked');
    return result;
  }
}
