import { invalidOptions } from '../errors.js';

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

/** The host id that `id` inside the namespace is, if mapped. */
export function hostIdOf(mappings: readonly IdMapping[], id: number): number | undefined {
  const m = mappings.find((m) => id >= m.namespaceId && id < m.namespaceId + m.size);
  return m && m.hostId + (id - m.namespaceId);
}
