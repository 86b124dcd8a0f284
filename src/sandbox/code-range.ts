import { readFileSync } from 'node:fs';

import type { Limits } from '../native/limits.js';

let cached: number | undefined;

/**
 * The size of this process's largest anonymous writable and executable mapping: V8's code
 * range, which Node 24 and later reserve read-write-execute (≈ 510 MB) at start. RLIMIT_DATA
 * counts it although it is a reservation, so a memory limit below it would stop the child
 * before it starts. The child is this same node binary, so this process's figure is its.
 */
export function codeRangeBytes(): number {
  if (cached !== undefined) return cached;
  let largest = 0;
  try {
    for (const line of readFileSync('/proc/self/maps', 'utf8').split('\n')) {
      const [range, perms, , , inode, path] = line.split(/\s+/);
      if (perms !== 'rwxp' || inode !== '0' || (path ?? '') !== '' || !range) continue;
      const [start, end] = range.split('-').map((hex) => parseInt(hex, 16));
      largest = Math.max(largest, end! - start!);
    }
  } catch {
    // no /proc: no allowance
  }
  return (cached = largest);
}

/** A Node child's limits as rlimits see them: memoryBytes on top of V8's code range. */
export function nodeChildLimits(limits: Limits | undefined): Limits | undefined {
  if (limits?.memoryBytes === undefined) return limits;
  return { ...limits, memoryBytes: limits.memoryBytes + codeRangeBytes() };
}
