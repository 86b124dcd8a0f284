import { ReexecError } from '../errors.js';
import { addon } from './addon.js';

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
