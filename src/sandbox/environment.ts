import type { IdMapper } from '../native/id-mapper.js';
import { landlockAbi, LANDLOCK_MIN_ABI } from '../native/landlock-abi.js';
import { heapFlags } from '../native/limits.js';
import type { Namespace, SpawnSandboxedOptions } from '../native/spawn.js';
import { CHILD_ENTRY, childEnv, childExecArgv } from './child-entry.js';
import { nodeChildLimits } from './code-range.js';
import type { RunSpec } from './run.js';

/**
 * What a child is started in: the part of a run spec fixed at spawn time (namespaces, maps,
 * hostname, no_new_privs, limits, environment). A prewarmed child serves only a call whose
 * environment is the one it was started in; args, files, chroot, stdin, timeout and
 * signal are the call's own.
 */
export interface Environment {
  namespaces: Set<Namespace>;
  /** spawnSandboxed's options for this environment, without stdio and extra fds. */
  spawn: SpawnSandboxedOptions;
  /** Equal keys (and the same idMapper) mean the same environment. */
  key: string;
  idMapper: IdMapper | undefined;
}

export function environment(id: string, spec: RunSpec, extraArgs: readonly string[] = []): Environment {
  const namespaces = new Set(spec.namespaces ?? []);
  if (spec.pivotRoot) namespaces.add('mount');
  const env = childEnv(spec.env);
  const spawn: SpawnSandboxedOptions = {
    file: process.execPath,
    argv0: id,
    args: [...childExecArgv(), ...heapFlags(spec.limits), CHILD_ENTRY, ...extraArgs],
    env,
    cwd: process.cwd(),
    namespaces: [...namespaces],
    idMappings: spec.idMappings,
    idMapper: spec.idMapper,
    dangerouslyMapHostRoot: spec.dangerouslyMapHostRoot,
    hostname: spec.hostname,
    noNewPrivileges: spec.noNewPrivileges,
    limits: nodeChildLimits(spec.limits),
    // Where the kernel lacks scoping this degrades silently; doctor says so.
    landlockScope: landlockAbi() >= LANDLOCK_MIN_ABI,
    // A Node pid 1 reaps only what it spawned: orphans of the plugin's own children would stay zombies.
    init: namespaces.has('pid'),
  };
  const key = JSON.stringify({
    namespaces: [...namespaces].sort(),
    idMappings: namespaces.has('user') ? spec.idMappings ?? null : null,
    hostname: spec.hostname ?? null,
    noNewPrivileges: spec.noNewPrivileges ?? null,
    limits: spec.limits ?? null,
    dangerouslyMapHostRoot: spec.dangerouslyMapHostRoot ?? false,
    env: Object.entries(env).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1)),
    cwd: spawn.cwd,
  });
  return { namespaces, spawn, key, idMapper: spec.idMapper };
}
