import { invalidOptions } from '../errors.js';
import { validateLandlock } from '../native/landlock.js';
import { validateLimits } from '../native/limits.js';

/** limits, seccomp and landlock, checked the same on a class, a call and a sandbox spec. */
export function validateContainment(o: { limits?: unknown; seccomp?: unknown; landlock?: unknown }, where: string): void {
  if (o.limits !== undefined) validateLimits(o.limits, where);
  if (o.seccomp !== undefined && typeof o.seccomp !== 'boolean') throw invalidOptions(`${where}: seccomp must be a boolean, got ${JSON.stringify(o.seccomp)}`);
  if (o.landlock !== undefined) validateLandlock(o.landlock, where);
}
