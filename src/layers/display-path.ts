const utf8 = new TextDecoder('utf-8', { fatal: true });

/** An archived name for people: as is when it is UTF-8, else every byte above 0x7f as \xNN. */
export function displayPath(bytes: Buffer): string {
  try {
    return utf8.decode(bytes);
  } catch {
    let out = '';
    for (const byte of bytes) out += byte < 0x80 ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
    return out;
  }
}
