// Writes a generated layer tarball (ustar) straight to a file, without building the tree
// on disk first: directories, regular files of a realistic mix of sizes, symlinks and
// hardlinks, deterministic for a given seed. Every entry is owned by 0:0, so that a self
// map (namespace 0 -> the caller) can apply every owner.
import { closeSync, openSync, writeSync } from 'node:fs';

const BLOCK = 512;
const TYPES = { file: '0', link: '1', symlink: '2', dir: '5' };

/** mulberry32: a small seeded PRNG, so the same options give the same archive. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const octal = (value, width) => `${value.toString(8).padStart(width - 1, '0')}\0`;

function header({ name, type, size = 0, mode, mtime = 1_700_000_000, linkname = '' }) {
  if (Buffer.byteLength(name) > 100 || Buffer.byteLength(linkname) > 100) throw new Error(`tar-tree: name too long: ${name}`);
  const block = Buffer.alloc(BLOCK);
  const put = (text, offset, width) => block.write(text, offset, width, 'utf8');
  put(name, 0, 100);
  put(octal(mode ?? (type === 'dir' ? 0o755 : type === 'symlink' ? 0o777 : 0o644), 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(mtime, 12), 136, 12);
  put('        ', 148, 8);
  put(TYPES[type], 156, 1);
  put(linkname, 157, 100);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  put('root', 265, 32);
  put('root', 297, 32);
  let sum = 0;
  for (const byte of block) sum += byte;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return block;
}

/**
 * Sizes of `count` files summing to about `totalBytes`: mostly small files (configs,
 * scripts, headers), fewer of tens of KB, some of hundreds of KB (libraries) and a
 * handful of MBs (binaries), like a distribution layer.
 */
function fileSizes(count, totalBytes, random) {
  const pick = (lo, hi) => lo + random() * (hi - lo);
  const raw = [];
  for (let i = 0; i < count; i++) {
    const u = random();
    if (i < Math.max(1, Math.round(count / 1000))) raw.push(pick(1 << 20, 8 << 20)); // ~0.1%: 1-8 MB
    else if (u < 0.5) raw.push(pick(0, 2048));
    else if (u < 0.8) raw.push(pick(2048, 16384));
    else if (u < 0.95) raw.push(pick(16384, 65536));
    else raw.push(pick(65536, 524288));
  }
  const scale = totalBytes / raw.reduce((a, b) => a + b, 0);
  return raw.map((s) => Math.floor(s * scale));
}

/**
 * Writes the archive to `path`. Returns what it holds: { bytes (archive size), entries,
 * files, dirs, symlinks, hardlinks, contentBytes }.
 */
export function writeLayerTar(path, { files = 20_000, dirs = 1_000, symlinks = 500, hardlinks = 100, totalBytes = 183_000_000, seed = 42 } = {}) {
  const random = prng(seed);
  const pool = Buffer.alloc(4 << 20);
  for (let i = 0; i < pool.length; i += 4) pool.writeUInt32LE((random() * 0x1_0000_0000) >>> 0, i);

  const fd = openSync(path, 'w');
  let pending = [];
  let pendingBytes = 0;
  let bytes = 0;
  const flush = () => {
    if (pending.length) writeSync(fd, Buffer.concat(pending, pendingBytes));
    bytes += pendingBytes;
    pending = [];
    pendingBytes = 0;
  };
  const emit = (buffer) => {
    pending.push(buffer);
    pendingBytes += buffer.length;
    if (pendingBytes >= 8 << 20) flush();
  };

  // Directories: a tree up to 4 levels deep, parents before children.
  const dirNames = [];
  const top = ['usr', 'etc', 'var', 'opt', 'lib', 'srv'];
  for (const t of top) dirNames.push(t);
  while (dirNames.length < dirs) {
    const parent = dirNames[Math.floor(random() * dirNames.length)];
    if (parent.split('/').length >= 4) continue;
    dirNames.push(`${parent}/d${dirNames.length}`);
  }
  for (const d of dirNames) emit(header({ name: `${d}/`, type: 'dir' }));

  const sizes = fileSizes(files, totalBytes, random);
  const fileNames = [];
  let contentBytes = 0;
  for (let i = 0; i < files; i++) {
    const name = `${dirNames[Math.floor(random() * dirNames.length)]}/f${i}${random() < 0.3 ? '.so' : '.txt'}`;
    const size = sizes[i];
    fileNames.push(name);
    contentBytes += size;
    emit(header({ name, type: 'file', size, mode: random() < 0.15 ? 0o755 : 0o644 }));
    for (let left = size; left > 0; ) {
      const n = Math.min(left, pool.length);
      const offset = Math.floor(random() * (pool.length - n + 1));
      emit(pool.subarray(offset, offset + n));
      left -= n;
    }
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (pad) emit(Buffer.alloc(pad));
  }
  for (let i = 0; i < symlinks; i++) {
    const dir = dirNames[Math.floor(random() * dirNames.length)];
    const target = fileNames[Math.floor(random() * fileNames.length)];
    const up = '../'.repeat(dir.split('/').length);
    emit(header({ name: `${dir}/l${i}`, type: 'symlink', linkname: `${up}${target}` }));
  }
  for (let i = 0; i < hardlinks; i++) {
    const dir = dirNames[Math.floor(random() * dirNames.length)];
    emit(header({ name: `${dir}/h${i}`, type: 'link', linkname: fileNames[Math.floor(random() * fileNames.length)] }));
  }
  emit(Buffer.alloc(BLOCK * 2));
  flush();
  closeSync(fd);
  return { bytes, entries: dirNames.length + files + symlinks + hardlinks, files, dirs: dirNames.length, symlinks, hardlinks, contentBytes };
}
