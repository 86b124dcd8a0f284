import { isAbsolute, relative } from 'node:path';

import { ReexecError, invalidOptions } from '../errors.js';
import { addon } from './addon.js';

/** Trees the sandbox may use, as it sees them (after its chroot); every other path is refused. */
export interface LandlockOption {
  /** Read, list and execute. */
  read?: readonly string[];
  /** Everything but creating device nodes. */
  write?: readonly string[];
}

/** The first ABI with scoping (signals, abstract unix sockets), which every use here relies on. */
export const LANDLOCK_MIN_ABI = 6;

let abi: number | undefined;
/** The kernel's Landlock ABI version, 0 without Landlock (disabled, or not in the LSM list). */
export function landlockAbi(): number {
  return (abi ??= addon.landlockAbi());
}

/** Throws kind 'landlock-unavailable' when a declared landlock cannot be enforced here. */
export function requireLandlock(where: string): void {
  const found = landlockAbi();
  if (found >= LANDLOCK_MIN_ABI) return;
  throw new ReexecError('landlock-unavailable', `${where}: landlock is declared, but this kernel's Landlock ABI is ${found} (needs ${LANDLOCK_MIN_ABI})`, {
    hint: found === 0
      ? 'Landlock ABI 0: the kernel lacks Landlock or does not enable it; it needs Linux 6.12 or later with "landlock" in the lsm= boot parameter (see /sys/kernel/security/lsm).'
      : `Landlock ABI ${found}: scoping needs ABI ${LANDLOCK_MIN_ABI} (Linux 6.12 or later). Drop the landlock option to run without it.`,
  });
}

export function validateLandlock(value: unknown, where: string): asserts value is LandlockOption {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidOptions(`${where}: landlock must be an object { read: [...], write: [...] }`);
  for (const [key, paths] of Object.entries(value)) {
    if (key !== 'read' && key !== 'write') throw invalidOptions(`${where}: landlock.${key} is not an option (known: read, write)`);
    if (paths === undefined) continue;
    if (!Array.isArray(paths)) throw invalidOptions(`${where}: landlock.${key} must be an array of absolute paths`);
    for (const p of paths)
      if (typeof p !== 'string' || !isAbsolute(p) || p.includes('\0')) throw invalidOptions(`${where}: landlock.${key} holds ${JSON.stringify(p)}; give absolute paths as the sandbox sees them`);
  }
}

const within = (path: string, tree: string) => {
  const r = relative(tree, path);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
};

/** A call's landlock may only narrow the class's: each tree inside one the class allows for that use. */
export function tighterLandlock(declared: LandlockOption | undefined, call: LandlockOption | undefined, where: string): LandlockOption | undefined {
  if (!declared || !call) return call ?? declared;
  const readable = [...(declared.read ?? []), ...(declared.write ?? [])];
  for (const p of call.read ?? [])
    if (!readable.some((t) => within(p, t))) throw invalidOptions(`${where}: landlock.read ${p} is outside the plugin's trees; a call may only narrow them`);
  for (const p of call.write ?? [])
    if (!(declared.write ?? []).some((t) => within(p, t))) throw invalidOptions(`${where}: landlock.write ${p} is outside the plugin's write trees; a call may only narrow them`);
  return call;
}
