import { getSystemErrorMap } from 'node:util';

// Names and texts from Node's own table (libuv's), the same on glibc and musl: the addon
// reports only numbers.
let table: Map<number, [string, string]> | undefined;

function entry(errno: number): [string, string] | undefined {
  table ??= getSystemErrorMap();
  return table.get(-Math.abs(errno));
}

/** `EPERM` for 1; `E<n>` for a number Node does not name. */
export function errnoName(errno: number): string {
  return entry(errno)?.[0] ?? `E${errno}`;
}

/** `operation not permitted` for 1. */
export function errnoText(errno: number): string {
  return entry(errno)?.[1] ?? `errno ${errno}`;
}
