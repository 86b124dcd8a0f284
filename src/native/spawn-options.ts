import { invalidOptions } from '../errors.js';
import type { LayerOptions } from '../options/schema.js';
import { validateOptions } from '../options/validate.js';
import { CLONE_FLAGS } from './addon.js';

export type Namespace = keyof typeof CLONE_FLAGS;
export const NAMESPACES = Object.keys(CLONE_FLAGS) as Namespace[];
export type { StdioOption, ExtraFdOption } from '../options/schema.js';

/**
 * spawnSandboxed()'s options: the rows of src/options/schema.ts named on the 'native'
 * layer (file, args, argv0, env, cwd, namespaces, idMappings, idMapper,
 * dangerouslyMapHostRoot, uid, gid, hostname, noNewPrivileges, init, limits, landlockScope,
 * stdio, extraFds, signal, timeoutMs).
 */
export interface SpawnSandboxedOptions extends LayerOptions<'native'> {}

/** Rejects what the kernel or the addon would refuse, saying what to give instead. */
export function validateSpawnOptions(options: SpawnSandboxedOptions): void {
  validateOptions('native', options, 'spawnSandboxed()');
  const has = (ns: Namespace) => options.namespaces?.includes(ns) ?? false;
  if (options.hostname !== undefined && !has('uts')) throw invalidOptions('hostname needs the uts namespace: add "uts" to namespaces');
  if (options.idMappings !== undefined && !has('user')) throw invalidOptions('idMappings need the user namespace: add "user" to namespaces');
  if (options.init && !has('pid')) throw invalidOptions('init needs the pid namespace: add "pid" to namespaces');
  if ((options.uid === undefined) !== (options.gid === undefined)) throw invalidOptions('give uid and gid together');
  // The kernel counts RLIMIT_NPROC per user per user namespace: without a new one it
  // counts every process of the host user (and never host root's).
  if (options.limits?.processes !== undefined && !has('user'))
    throw invalidOptions('limits.processes needs the user namespace: the kernel counts it per user per user namespace (add "user" to namespaces)');
}

/** The child's environment as execve wants it; undefined values are left out. */
export function envArray(env: Readonly<Record<string, string | undefined>> = {}): string[] {
  return Object.entries(env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
}
