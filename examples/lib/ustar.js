// A small ustar writer: tarballs with any owner, mode, type and path (hostile ones too),
// without root and without depending on what the file system can hold.

const BLOCK = 512;
const TYPES = { file: '0', link: '1', symlink: '2', dir: '5', pax: 'x' };

function octal(value, width) {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function splitName(name) {
  if (Buffer.isBuffer(name) || Buffer.byteLength(name) <= 100) return { name, prefix: '' };
  const cut = name.lastIndexOf('/', name.length - 1);
  const prefix = name.slice(0, cut);
  const rest = name.slice(cut + 1);
  if (cut <= 0 || Buffer.byteLength(prefix) > 155 || Buffer.byteLength(rest) > 100) throw new Error(`ustar: path too long: ${name}`);
  return { name: rest, prefix };
}

function header(entry) {
  const block = Buffer.alloc(BLOCK);
  const { name, prefix } = splitName(entry.name);
  const size = entry.size ?? (entry.type === 'file' ? entry.data.length : 0);
  const put = (text, offset, width) => (Buffer.isBuffer(text) ? text.copy(block, offset, 0, width) : block.write(text, offset, width, 'utf8'));
  put(name, 0, 100);
  put(octal(entry.mode ?? (entry.type === 'dir' ? 0o755 : 0o644), 8), 100, 8);
  put(octal(entry.uid ?? 0, 8), 108, 8);
  put(octal(entry.gid ?? 0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(entry.mtime ?? 1_700_000_000, 12), 136, 12);
  put('        ', 148, 8);
  put(TYPES[entry.type], 156, 1);
  put(entry.linkname ?? '', 157, 100);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  put(entry.uname ?? '', 265, 32);
  put(entry.gname ?? '', 297, 32);
  put(prefix, 345, 155);
  let sum = 0;
  for (const byte of block) sum += byte;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return block;
}

/** A PAX extended header ('x') holding `records` ({ key: value }) for the entry after it. */
function paxHeader(records) {
  const body = Buffer.concat(
    Object.entries(records).map(([key, value]) => {
      const text = ` ${key}=${value}\n`;
      const n = Buffer.byteLength(text);
      let len = n + 1;
      while (String(len).length + n !== len) len++; // the length counts its own digits
      return Buffer.from(`${len}${text}`);
    }),
  );
  const pad = (BLOCK - (body.length % BLOCK)) % BLOCK;
  return [header({ name: 'PaxHeader', type: 'pax', size: body.length, mode: 0o644 }), body, Buffer.alloc(pad)];
}

/**
 * entries: { name, type: 'file' | 'dir' | 'symlink' | 'link', data?: Buffer | string,
 * mode?, uid?, gid?, mtime? (seconds), linkname?, pax?: { key: value } }. A name may be a
 * Buffer (raw bytes, at most 100). Returns the whole archive.
 */
export function ustar(entries) {
  const parts = [];
  for (const raw of entries) {
    if (raw.pax) parts.push(...paxHeader(raw.pax));
    const entry = { ...raw, data: raw.type === 'file' ? Buffer.from(raw.data ?? '') : undefined };
    parts.push(header(entry));
    if (entry.type === 'file') {
      parts.push(entry.data);
      const pad = (BLOCK - (entry.data.length % BLOCK)) % BLOCK;
      if (pad) parts.push(Buffer.alloc(pad));
    }
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}
