import { readFileSync } from 'node:fs';

import { ReexecError, invalidOptions } from '../errors.js';

/** One line of /proc/PID/uid_map or gid_map: `size` ids from `hostId` appear as `namespaceId`. */
export interface IdMapping {
  namespaceId: number;
  hostId: number;
  size: number;
}

export interface IdMappings {
  uidMappings: IdMapping[];
  gidMappings: IdMapping[];
}

/** Ids are unsigned 32-bit; 2^32-1 is the kernel's "no id" and cannot be mapped. */
export const MAX_ID = 0xffff_fffe;
/** Lines the kernel accepts in one map since Linux 4.15. */
export const MAX_MAP_LINES = 340;
/** The whole map goes in one write(2) shorter than a page. */
const MAX_MAP_BYTES = 4095;

/** Rejects a map the kernel would refuse, saying which line and why, before any spawn. */
export function validateIdMappings(mappings: readonly IdMapping[], what: 'uid' | 'gid'): void {
  const label = `${what}Mappings`;
  if (!Array.isArray(mappings) || mappings.length === 0) throw invalidOptions(`${label} must be a non-empty array of { namespaceId, hostId, size }`);
  if (mappings.length > MAX_MAP_LINES)
    throw invalidOptions(`${label} has ${mappings.length} lines; the kernel takes at most ${MAX_MAP_LINES}: merge adjacent ranges`);
  mappings.forEach((m, i) => {
    for (const key of ['namespaceId', 'hostId', 'size'] as const) {
      const v = m?.[key];
      if (!Number.isSafeInteger(v) || (v as number) < 0)
        throw invalidOptions(`${label}[${i}].${key} must be a non-negative integer, got ${JSON.stringify(v)}`);
    }
    if (m.size === 0) throw invalidOptions(`${label}[${i}].size is 0: a mapping must cover at least one id`);
    for (const key of ['namespaceId', 'hostId'] as const)
      if (m[key] + m.size - 1 > MAX_ID)
        throw invalidOptions(`${label}[${i}] maps ${key} ${m[key]}..${m[key] + m.size - 1}, past the largest id ${MAX_ID} (2^32-2)`);
  });
  for (let i = 0; i < mappings.length; i++)
    for (let j = i + 1; j < mappings.length; j++)
      for (const key of ['namespaceId', 'hostId'] as const) {
        const a = mappings[i]!, b = mappings[j]!;
        if (a[key] < b[key] + b.size && b[key] < a[key] + a.size)
          throw invalidOptions(`${label}[${i}] and ${label}[${j}] overlap in ${key}: each id may be mapped once`);
      }
  const bytes = Buffer.byteLength(formatIdMap(mappings));
  if (bytes > MAX_MAP_BYTES)
    throw invalidOptions(`${label} is ${bytes} bytes as text; the kernel takes at most ${MAX_MAP_BYTES} in one map: merge adjacent ranges`);
}

/** The text written to /proc/PID/uid_map: one "ns host size" line per mapping. */
export function formatIdMap(mappings: readonly IdMapping[]): string {
  return mappings.map((m) => `${m.namespaceId} ${m.hostId} ${m.size}\n`).join('');
}

/** True when `id` inside the namespace is covered by one of the mappings. */
export function mapsNamespaceId(mappings: readonly IdMapping[], id: number): boolean {
  return mappings.some((m) => id >= m.namespaceId && id < m.namespaceId + m.size);
}

/** The caller's own uid and gid as root of the namespace: all an unprivileged process may write itself. */
export function selfMappings(uid = process.geteuid!(), gid = process.getegid!()): IdMappings {
  return { uidMappings: [{ namespaceId: 0, hostId: uid, size: 1 }], gidMappings: [{ namespaceId: 0, hostId: gid, size: 1 }] };
}

/** A single line mapping exactly the caller's own id, which needs no helper. */
export function isSelfMap(mappings: readonly IdMapping[], ownId: number): boolean {
  return mappings.length === 1 && mappings[0]!.hostId === ownId && mappings[0]!.size === 1;
}

/**
 * Where root's default map puts the namespace's ids 0-65535 on the host: 0x7ff00000
 * (2146435072) up to 2146500607. Not host 0: a namespace root that is host root holds its
 * capabilities over every host file owned by root. Not one id (GrootFS's 4294967294): a
 * layer's owners (0, 33, 1000, ...) would collapse onto it. Below 2^31, because programs
 * and file systems that keep ids in signed ints misread larger ones; above every range
 * useradd (SUB_UID_MAX 600100000) and systemd (dynamic users, nspawn's 0x80000-0x6fffffff)
 * allocate, and clear of systemd's "foreign" range 0x7ffe0000. Checked against
 * /etc/subuid, /etc/subgid, /etc/passwd and /etc/group before each use.
 */
export const ROOT_DEFAULT_HOST_ID = 0x7ff0_0000;
export const ROOT_DEFAULT_SIZE = 65536;

/** Ids listed in a colon-separated file (passwd, group: field 2; subuid, subgid: ranges) that fall into [first, first + size). */
function collisions(file: string, first: number, size: number): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const ranges = file.includes('/sub');
  return text.split('\n').filter((line) => {
    const fields = line.trim().split(':');
    if (fields.length < 3 || line.trim().startsWith('#')) return false;
    const start = Number(fields[ranges ? 1 : 2]);
    const count = ranges ? Number(fields[2]) : 1;
    return Number.isSafeInteger(start) && Number.isSafeInteger(count) && start < first + size && first < start + count;
  });
}

/** The parent namespace's view of `id` through /proc/self/uid_map (or gid_map). */
function outerId(file: string, id: number): number | undefined {
  for (const line of readFileSync(file, 'utf8').trim().split('\n')) {
    const [inside, outside, count] = line.trim().split(/\s+/).map(Number) as [number, number, number];
    if (id >= inside && id < inside + count) return outside + (id - inside);
  }
  return undefined;
}

function coversBlock(file: string): boolean {
  const first = outerId(file, ROOT_DEFAULT_HOST_ID);
  return first !== undefined && outerId(file, ROOT_DEFAULT_HOST_ID + ROOT_DEFAULT_SIZE - 1) === first + ROOT_DEFAULT_SIZE - 1;
}

/**
 * The map a user namespace gets when the caller names none. Unprivileged: the caller's own
 * uid and gid become 0 (all it may write itself). Root: ids 0-65535 on the block at
 * ROOT_DEFAULT_HOST_ID, which owns nothing on the host. Root of a nested namespace that
 * lacks that block keeps a self map when its own root is not its parent's root.
 */
export function defaultIdMappings(): IdMappings {
  const uid = process.geteuid!(), gid = process.getegid!();
  if (uid !== 0) return selfMappings(uid, gid);
  const hint = `Pass idMappings (or userns: { uidMappings, gidMappings }) naming host ids this namespace may use, e.g. a range of /etc/subuid.`;
  if (coversBlock('/proc/self/uid_map') && coversBlock('/proc/self/gid_map')) {
    const taken = ['/etc/subuid', '/etc/subgid', '/etc/passwd', '/etc/group'].flatMap((f) =>
      collisions(f, ROOT_DEFAULT_HOST_ID, ROOT_DEFAULT_SIZE).map((line) => `${f}: ${line.trim()}`),
    );
    if (taken.length)
      throw new ReexecError('mapping', `root's default map (host ids ${ROOT_DEFAULT_HOST_ID}-${ROOT_DEFAULT_HOST_ID + ROOT_DEFAULT_SIZE - 1}) collides with ${taken.join('; ')}`, { hint });
    const block = [{ namespaceId: 0, hostId: ROOT_DEFAULT_HOST_ID, size: ROOT_DEFAULT_SIZE }];
    return { uidMappings: block, gidMappings: block.map((m) => ({ ...m })) };
  }
  const outerUid = outerId('/proc/self/uid_map', 0), outerGid = outerId('/proc/self/gid_map', 0);
  if (outerUid !== undefined && outerUid !== 0 && outerGid !== undefined && outerGid !== 0) return selfMappings(uid, gid);
  throw new ReexecError('mapping', `root of a user namespace that does not map host ids ${ROOT_DEFAULT_HOST_ID}-${ROOT_DEFAULT_HOST_ID + ROOT_DEFAULT_SIZE - 1} has no default map that keeps host root out`, { hint });
}

/**
 * True when a map puts host uid or gid 0 into the namespace: id 0 of this process's own
 * namespace, unless that one is known to be a non-zero id of its parent.
 */
export function mapsHostRoot(mappings: IdMappings): boolean {
  const hasZero = (lines: readonly IdMapping[]) => lines.some((m) => m.hostId === 0);
  const outerIsRoot = (file: string) => !outerId(file, 0); // 0, or unmapped: not known to be harmless
  return (hasZero(mappings.uidMappings) && outerIsRoot('/proc/self/uid_map')) || (hasZero(mappings.gidMappings) && outerIsRoot('/proc/self/gid_map'));
}

/** The host id that `id` inside the namespace is, if mapped. */
export function hostIdOf(mappings: readonly IdMapping[], id: number): number | undefined {
  const m = mappings.find((m) => id >= m.namespaceId && id < m.namespaceId + m.size);
  return m && m.hostId + (id - m.namespaceId);
}
