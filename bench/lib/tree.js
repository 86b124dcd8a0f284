// A tree's shape as sorted lines and their sha256: path, type, mode, owner (minus
// `uidBase`, the host id namespace 0 maps to), size, content hash, link target, and with
// `mtimes` the mtime of files and symlinks (not directories'). Two
// unpackers agree when their digests do.
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

export function treeDigest(root, { uidBase = 0, mtimes = false } = {}) {
  const lines = [];
  const walk = (dir, rel) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const key = rel ? `${rel}/${name}` : name;
      const st = lstatSync(path);
      const owner = `${st.uid - uidBase}:${st.gid - uidBase}`;
      const mode = (st.mode & 0o7777).toString(8);
      const mtime = mtimes ? ` ${st.mtimeMs}` : '';
      if (st.isSymbolicLink()) lines.push(`${key} l ${mode} ${owner}${mtime} -> ${readlinkSync(path)}`);
      else if (st.isDirectory()) {
        lines.push(`${key} d ${mode} ${owner}`);
        walk(path, key);
      } else lines.push(`${key} f ${mode} ${owner}${mtime} ${st.size} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`);
    }
  };
  walk(root, '');
  lines.sort();
  return { lines, digest: createHash('sha256').update(lines.join('\n')).digest('hex') };
}
