import { ReexecError, invalidOptions } from '../errors.js';
import type { IdMapper } from '../native/id-mapper.js';
import { tighterLandlock } from '../native/landlock.js';
import { tighterLimits } from '../native/limits.js';
import type { IdMappings } from '../native/id-mappings.js';
import type { Namespace } from '../native/spawn-options.js';
import { subIdMappings } from '../native/subids.js';
import type { LayerOptions } from '../options/schema.js';
import { validateOptions } from '../options/validate.js';
import type { RunSpec } from '../sandbox/run.js';
import { type SandboxedOptions, type UsernsOption } from './options.js';

/**
 * One call of a plugin: the rows of src/options/schema.ts named on the 'call' layer. What
 * the class declares is a floor: a call adds (a chroot dir, namespaces, a user namespace,
 * a shorter timeout, lower limits, narrower landlock trees), never drops.
 */
export interface PluginCallSpec extends LayerOptions<'call'> {}

export interface MappingDefaults {
  idMappings?: IdMappings;
  idMapper?: IdMapper;
  dangerouslyMapHostRoot?: boolean;
}

/** Undefined: the native layer's default map (see defaultIdMappings). */
async function resolveUserns(userns: UsernsOption, defaults: MappingDefaults, id: string): Promise<IdMappings | undefined> {
  if (userns === true) return defaults.idMappings;
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
  validateOptions('call', call, `reexec("${id}")`);
  if (declared.chroot && call.chroot === undefined)
    throw invalidOptions(`plugin "${id}" declares chroot: true: give the directory to chroot into, e.g. reexec("${id}", { chroot: dir })`);
  if (declared.userns && call.userns === false) throw invalidOptions(`plugin "${id}" declares a user namespace; a call cannot drop it`);
  if (declared.noNewPrivileges === true && call.noNewPrivileges === false)
    throw invalidOptions(`plugin "${id}" declares noNewPrivileges: true; a call cannot drop it`);

  const where = `reexec("${id}")`;
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
    dangerouslyMapHostRoot: defaults.dangerouslyMapHostRoot,
    hostname,
    noNewPrivileges: call.noNewPrivileges ?? declared.noNewPrivileges ?? true,
    env: call.env,
    maxBuffer: call.maxBuffer,
    signal: call.signal,
    timeoutMs: smaller(declared.timeoutMs, call.timeoutMs),
    limits: tighterLimits(declared.limits, call.limits, where),
    seccomp: call.seccomp ?? declared.seccomp ?? true,
    landlock: tighterLandlock(declared.landlock, call.landlock, where),
  };
}
