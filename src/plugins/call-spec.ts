import type { Readable } from 'node:stream';

import { ReexecError, invalidOptions } from '../errors.js';
import type { IdMapper } from '../native/id-mapper.js';
import { tighterLandlock, type LandlockOption } from '../native/landlock.js';
import { tighterLimits, type Limits } from '../native/limits.js';
import { selfMappings, type IdMappings } from '../native/id-mappings.js';
import type { Namespace } from '../native/spawn-options.js';
import { subIdMappings } from '../native/subids.js';
import type { RunSpec } from '../sandbox/run.js';
import { validateContainment } from '../sandbox/containment.js';
import { PLUGIN_NAMESPACES, validateSandboxedOptions, type PluginNamespace, type SandboxedOptions, type UsernsOption } from './options.js';

/** One call of a plugin. What the class declares is a floor: a call adds, never drops. */
export interface PluginCallSpec {
  args?: readonly string[];
  /** Paths opened by the host before spawning; the plugin gets them as FILES. */
  files?: readonly string[];
  allowDirectories?: boolean;
  /** The chroot dir; required when the class declares chroot: true. */
  chroot?: string;
  /** A user namespace for a plugin that declares none. */
  userns?: UsernsOption;
  namespaces?: readonly PluginNamespace[];
  hostname?: string;
  noNewPrivileges?: boolean;
  stdin?: Readable | Buffer | string;
  env?: Record<string, string | undefined>;
  maxBuffer?: number;
  signal?: AbortSignal;
  /** Capped by the class's timeoutMs. */
  timeoutMs?: number;
  /** Each may only lower the class's. */
  limits?: Limits;
  /** true turns the filter on for a class that declares seccomp: false; false is refused when the class has it on. */
  seccomp?: boolean;
  /** Narrows the class's trees, or confines a class that declares none. */
  landlock?: LandlockOption;
}

export interface MappingDefaults {
  idMappings?: IdMappings;
  idMapper?: IdMapper;
}

async function resolveUserns(userns: UsernsOption, defaults: MappingDefaults, id: string): Promise<IdMappings> {
  if (userns === true) return defaults.idMappings ?? selfMappings();
  if (userns === 'subids') {
    const mappings = await subIdMappings();
    if (!mappings)
      throw new ReexecError('mapping', `plugin "${id}" asks for userns: 'subids', but this user (uid ${process.geteuid!()}) has no range in /etc/subuid and /etc/subgid`, {
        hint: 'Add one (usermod --add-subuids 100000-165535 --add-subgids 100000-165535 USER) and install newuidmap (apt-get install uidmap), or use userns: true for a self map.',
      });
    return mappings;
  }
  return userns as IdMappings;
}

/**
 * `userns: true` on a class asks for a user namespace, not for particular maps: a call may
 * name them (explicit maps, 'subids'). Maps the class names itself stay.
 */
function chooseUserns(declared: UsernsOption | undefined, call: UsernsOption | undefined, id: string): UsernsOption {
  if (!declared || declared === true) return call || declared || false;
  if (call && call !== true && call !== declared)
    throw invalidOptions(`plugin "${id}" declares its own id maps (userns: ${typeof declared === 'string' ? `'${declared}'` : '{ ... }'}); a call cannot replace them`);
  return declared;
}

function smaller(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

/** The run spec for one call: the class's options as a floor, the call's additions on top. */
export async function toRunSpec(declared: SandboxedOptions, call: PluginCallSpec, defaults: MappingDefaults): Promise<RunSpec> {
  const id = declared.id;
  if (call.namespaces !== undefined)
    for (const ns of call.namespaces)
      if (!PLUGIN_NAMESPACES.includes(ns)) throw invalidOptions(`reexec("${id}"): namespaces holds ${JSON.stringify(ns)}; use ${PLUGIN_NAMESPACES.join(', ')}`);
  if (declared.chroot && call.chroot === undefined)
    throw invalidOptions(`plugin "${id}" declares chroot: true: give the directory to chroot into, e.g. reexec("${id}", { chroot: dir })`);
  if (call.chroot !== undefined && (typeof call.chroot !== 'string' || call.chroot === '')) throw invalidOptions(`reexec("${id}"): chroot must be a directory path`);
  if (declared.userns && call.userns === false) throw invalidOptions(`plugin "${id}" declares a user namespace; a call cannot drop it`);
  if (call.userns !== undefined && call.userns !== false) validateSandboxedOptions({ id, userns: call.userns }, `reexec("${id}")`);

  const where = `reexec("${id}")`;
  validateContainment(call, where);
  if (call.seccomp === false && declared.seccomp !== false)
    throw invalidOptions(`${where}: seccomp: false would loosen plugin "${id}", which keeps the default filter; declare seccomp: false on the class to run without it`);
  const userns = chooseUserns(declared.userns, call.userns, id);
  const namespaces = new Set<Namespace>([...(declared.namespaces ?? []), ...(call.namespaces ?? [])]);
  if (userns) namespaces.add('user');
  const hostname = call.hostname ?? declared.hostname;
  if (hostname !== undefined && !namespaces.has('uts')) throw invalidOptions(`reexec("${id}"): hostname needs the uts namespace: add namespaces: ['uts']`);
  return {
    args: call.args,
    stdin: call.stdin,
    extraFiles: call.files,
    allowDirectories: call.allowDirectories,
    chrootDir: call.chroot,
    pivotRoot: declared.pivotRoot,
    namespaces: [...namespaces],
    idMappings: userns ? await resolveUserns(userns, defaults, id) : undefined,
    idMapper: defaults.idMapper,
    hostname,
    noNewPrivileges: declared.noNewPrivileges || call.noNewPrivileges,
    env: call.env,
    maxBuffer: call.maxBuffer,
    signal: call.signal,
    timeoutMs: smaller(declared.timeoutMs, call.timeoutMs),
    limits: tighterLimits(declared.limits, call.limits, where),
    seccomp: call.seccomp ?? declared.seccomp ?? true,
    landlock: tighterLandlock(declared.landlock, call.landlock, where),
  };
}
