import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';

import type { IdMappings } from './id-mappings.js';

/** One line of /etc/subuid or /etc/subgid that applies to the user. */
export interface SubIdRange {
  start: number;
  count: number;
}

/**
 * Ranges for a user in subuid(5)/subgid(5) text: `owner:start:count`, owner by name or
 * numeric uid. Comments, blank and malformed lines are skipped, as shadow-utils does.
 */
export function parseSubIds(text: string, user: { name?: string; uid: number }): SubIdRange[] {
  const ranges: SubIdRange[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(':');
    if (fields.length !== 3) continue;
    const [owner, start, count] = fields as [string, string, string];
    if (owner !== user.name && owner !== String(user.uid)) continue;
    if (!/^\d+$/.test(start) || !/^\d+$/.test(count)) continue;
    const range = { start: Number(start), count: Number(count) };
    if (range.count === 0 || range.start + range.count - 1 > 0xffff_fffe) continue;
    ranges.push(range);
  }
  return ranges;
}

export interface SubIdFiles {
  subuid?: string;
  subgid?: string;
}

async function readRanges(file: string, user: { name?: string; uid: number }): Promise<SubIdRange[]> {
  try {
    return parseSubIds(await readFile(file, 'utf8'), user);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

function currentUser(): { name?: string; uid: number } {
  const uid = process.geteuid!();
  try {
    return { name: userInfo().username, uid };
  } catch {
    return { uid }; // no passwd entry: only numeric lines can match
  }
}

/** The caller's ranges from /etc/subuid and /etc/subgid. */
export async function readOwnSubIds(files: SubIdFiles = {}): Promise<{ uids: SubIdRange[]; gids: SubIdRange[] }> {
  const user = currentUser();
  const [uids, gids] = await Promise.all([
    readRanges(files.subuid ?? '/etc/subuid', user),
    readRanges(files.subgid ?? '/etc/subgid', user),
  ]);
  return { uids, gids };
}

/**
 * Rootless multi-id maps, as podman builds them: the caller's own id becomes 0 and its
 * subordinate ranges follow from 1. Undefined when the caller has no ranges.
 */
export async function subIdMappings(files: SubIdFiles = {}): Promise<IdMappings | undefined> {
  const { uids, gids } = await readOwnSubIds(files);
  if (uids.length === 0 || gids.length === 0) return undefined;
  const build = (own: number, ranges: SubIdRange[]) => {
    let next = 1;
    return [
      { namespaceId: 0, hostId: own, size: 1 },
      ...ranges.map((r) => {
        const m = { namespaceId: next, hostId: r.start, size: r.count };
        next += r.count;
        return m;
      }),
    ];
  };
  return { uidMappings: build(process.geteuid!(), uids), gidMappings: build(process.getegid!(), gids) };
}
