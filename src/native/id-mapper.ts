import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';

import { ReexecError } from '../errors.js';
import { formatIdMap, isSelfMap, type IdMapping } from './id-mappings.js';

/**
 * Writes a waiting child's maps, as GrootFS's IDMapper does. A mapper that finishes
 * synchronously (returns nothing) lets the spawn wait for execve without going back to
 * the event loop, which is measurably faster; one that runs a helper returns a promise.
 */
export interface IdMapper {
  mapUids(pid: number, mappings: readonly IdMapping[]): void | Promise<void>;
  mapGids(pid: number, mappings: readonly IdMapping[]): void | Promise<void>;
}

function writeProcFile(pid: number, file: string, text: string): void {
  try {
    writeFileSync(`/proc/${pid}/${file}`, text);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ReexecError('mapping', `writing /proc/${pid}/${file} failed: ${code}`, {
      cause: error,
      step: file,
      code,
      hint:
        code === 'EPERM'
          ? 'Only root may write a map other than its own id. Add ranges for this user to /etc/subuid and /etc/subgid and install newuidmap (apt-get install uidmap), or map only your own uid and gid.'
          : undefined,
    });
  }
}

/** Root (CAP_SETUID/CAP_SETGID over the parent namespace) writes any map itself. */
export const directIdMapper: IdMapper = {
  mapUids(pid, mappings) {
    writeProcFile(pid, 'uid_map', formatIdMap(mappings));
  },
  mapGids(pid, mappings) {
    writeProcFile(pid, 'gid_map', formatIdMap(mappings));
  },
};

/**
 * An unprivileged process may map its own id only, and its own gid only after
 * `setgroups` is denied (else it could drop a group that restricts it).
 */
export const selfIdMapper: IdMapper = {
  mapUids(pid, mappings) {
    writeProcFile(pid, 'uid_map', formatIdMap(mappings));
  },
  mapGids(pid, mappings) {
    writeProcFile(pid, 'setgroups', 'deny');
    writeProcFile(pid, 'gid_map', formatIdMap(mappings));
  },
};

function runHelper(helper: string, pid: number, mappings: readonly IdMapping[]): Promise<void> {
  const args = [String(pid), ...mappings.flatMap((m) => [m.namespaceId, m.hostId, m.size].map(String))];
  return new Promise((resolve, reject) => {
    execFile(helper, args, { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }, timeout: 10_000 }, (error, _stdout, stderr) => {
      if (!error) return resolve();
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT')
        return reject(
          new ReexecError('mapping', `${helper} not found: a map of more than your own id needs it`, {
            cause: error,
            step: helper,
            code,
            hint: 'Install it (Debian/Ubuntu: apt-get install uidmap; Fedora: shadow-utils) or map only your own uid and gid.',
          }),
        );
      const detail = stderr.trim() || error.message;
      reject(
        new ReexecError('mapping', `${helper} ${args.join(' ')} failed: ${detail}`, {
          cause: error,
          step: helper,
          stderr,
          hint: `Check that /etc/sub${helper === 'newuidmap' ? 'uid' : 'gid'} gives this user the mapped host ids and that ${helper} is setuid root.`,
        }),
      );
    });
  });
}

/** shadow-utils' setuid helpers, for rootless maps of /etc/subuid and /etc/subgid ranges. */
export const newIdMapMapper: IdMapper = {
  mapUids: (pid, mappings) => runHelper('newuidmap', pid, mappings),
  mapGids: (pid, mappings) => runHelper('newgidmap', pid, mappings),
};

/** Root writes directly; an unprivileged caller writes a self map itself and uses the helpers otherwise. */
export const defaultIdMapper: IdMapper = {
  mapUids(pid, mappings) {
    return pick(mappings, process.geteuid!()).mapUids(pid, mappings);
  },
  mapGids(pid, mappings) {
    return pick(mappings, process.getegid!()).mapGids(pid, mappings);
  },
};

function pick(mappings: readonly IdMapping[], ownId: number): IdMapper {
  if (process.geteuid!() === 0) return directIdMapper;
  return isSelfMap(mappings, ownId) ? selfIdMapper : newIdMapMapper;
}
