import { ReexecError } from '../errors.js';
import type { IdMappings } from '../native/id-mappings.js';
import { validateIdMappings } from '../native/id-mappings.js';
import type { LandlockOption } from '../native/landlock.js';
import type { Limits } from '../native/limits.js';
import { validateContainment } from '../sandbox/containment.js';

/** Namespaces a plugin may ask for besides the user namespace (`userns`). */
export type PluginNamespace = 'uts' | 'ipc' | 'net' | 'pid' | 'mount';
export const PLUGIN_NAMESPACES: readonly PluginNamespace[] = ['uts', 'ipc', 'net', 'pid', 'mount'];

/**
 * true: the caller's own uid/gid become 0 (works unprivileged); explicit maps; or 'subids':
 * own id to 0 and the caller's /etc/subuid and /etc/subgid ranges after it, via newuidmap.
 */
export type UsernsOption = boolean | 'subids' | IdMappings;

export interface SandboxedOptions {
  id: string;
  /** true: every call must give a chroot dir. */
  chroot?: boolean;
  userns?: UsernsOption;
  namespaces?: readonly PluginNamespace[];
  /** Needs the uts namespace. */
  hostname?: string;
  /** pivot_root into the chroot dir instead of chroot (adds a mount namespace). */
  pivotRoot?: boolean;
  noNewPrivileges?: boolean;
  /** An upper bound for every call. */
  timeoutMs?: number;
  /** Upper bounds for every call (a call may lower them); see README "Security model". */
  limits?: Limits;
  /** false: no default seccomp filter (a call may turn it back on, not off). */
  seccomp?: boolean;
  /** Only these trees are accessible (paths as the sandbox sees them); needs Landlock ABI >= 6. */
  landlock?: LandlockOption;
}

export const ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const KEYS = new Set(['id', 'chroot', 'userns', 'namespaces', 'hostname', 'pivotRoot', 'noNewPrivileges', 'timeoutMs', 'limits', 'seccomp', 'landlock']);

function invalid(where: string, field: string, message: string): ReexecError {
  return new ReexecError('invalid-options', `${where}: ${field} ${message}`);
}

/** Checks options as declared (`where` names the class) or as given to a call. */
export function validateSandboxedOptions(options: unknown, where: string): asserts options is SandboxedOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    throw new ReexecError('invalid-options', `${where}: @Sandboxed() needs an options object such as { id: 'unpack' }`);
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!KEYS.has(key)) throw invalid(where, key, `is not an option (known: ${[...KEYS].join(', ')})`);
  if (typeof o.id !== 'string' || !ID_PATTERN.test(o.id))
    throw invalid(where, 'id', `must match ${ID_PATTERN} (it becomes the child's argv[0]), got ${JSON.stringify(o.id)}`);
  for (const key of ['chroot', 'pivotRoot', 'noNewPrivileges', 'seccomp'] as const)
    if (o[key] !== undefined && typeof o[key] !== 'boolean') throw invalid(where, key, `must be a boolean, got ${JSON.stringify(o[key])}`);
  if (o.userns !== undefined && typeof o.userns !== 'boolean' && o.userns !== 'subids') {
    const maps = o.userns as IdMappings;
    if (typeof maps !== 'object' || maps === null) throw invalid(where, 'userns', "must be true, 'subids' or { uidMappings, gidMappings }");
    try {
      validateIdMappings(maps.uidMappings, 'uid');
      validateIdMappings(maps.gidMappings, 'gid');
    } catch (error) {
      throw invalid(where, 'userns', (error as Error).message);
    }
  }
  if (o.namespaces !== undefined) {
    if (!Array.isArray(o.namespaces)) throw invalid(where, 'namespaces', `must be an array of ${PLUGIN_NAMESPACES.join(', ')}`);
    for (const ns of o.namespaces)
      if (!PLUGIN_NAMESPACES.includes(ns)) throw invalid(where, 'namespaces', `holds ${JSON.stringify(ns)}; use ${PLUGIN_NAMESPACES.join(', ')} (and userns for the user namespace)`);
  }
  if (o.hostname !== undefined) {
    if (typeof o.hostname !== 'string' || o.hostname === '' || o.hostname.length > 64)
      throw invalid(where, 'hostname', 'must be a string of 1 to 64 characters');
    if (!(o.namespaces as string[] | undefined)?.includes('uts')) throw invalid(where, 'hostname', "needs the uts namespace: add namespaces: ['uts']");
  }
  if (o.pivotRoot === true && o.chroot !== true) throw invalid(where, 'pivotRoot', 'needs chroot: true');
  if (o.timeoutMs !== undefined && !(typeof o.timeoutMs === 'number' && Number.isFinite(o.timeoutMs) && o.timeoutMs > 0))
    throw invalid(where, 'timeoutMs', `must be a positive number, got ${JSON.stringify(o.timeoutMs)}`);
  validateContainment(o, where);
}
