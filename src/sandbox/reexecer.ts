import type { Readable } from 'node:stream';
import type { Logger } from 'pino';

import { ReexecError } from '../errors.js';
import type { IdMapper } from '../native/id-mapper.js';
import type { IdMappings } from '../native/id-mappings.js';
import { loadRun } from './load-run.js';
import { lookup } from './registry.js';

/** GrootFS's ReexecSpec, plus what a Node caller needs (env, maxBuffer, allowDirectories). */
export interface ReexecSpec {
  args?: string[];
  stdin?: Readable | Buffer | string;
  /** Opened by the parent before spawning (so outside the chroot), read-only. */
  extraFiles?: string[];
  /** Refused by default: an open directory fd leads out of a chroot. */
  allowDirectories?: boolean;
  chrootDir?: string;
  /** A new user namespace in which the child is root, with the reexecer's idMappings. */
  cloneUserns?: boolean;
  /** The child's environment: nothing else of the parent's reaches it but NODE_OPTIONS. */
  env?: Record<string, string | undefined>;
  /** Bytes of stdout (and of stderr) kept before the child is killed; default 100 MiB. */
  maxBuffer?: number;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface SandboxReexecer {
  /** Runs the action registered as `id` and resolves with the child's stdout. */
  reexec(id: string, spec?: ReexecSpec): Promise<Buffer>;
}

export interface ReexecerOptions {
  /** Maps for cloneUserns; by default the caller's own uid and gid become 0. */
  idMappings?: IdMappings;
  /** Writes the maps; by default directly as root, a self map itself, else newuidmap/newgidmap. */
  idMapper?: IdMapper;
}

export function newReexecer(logger: Logger, opts: ReexecerOptions = {}): SandboxReexecer {
  return {
    async reexec(id, spec = {}) {
      const registration = lookup(id);
      if (!registration) throw new ReexecError('unregistered', `unregistered command: ${id}`);
      const { cloneUserns, ...rest } = spec;
      const { runSandboxed } = await loadRun();
      const result = await runSandboxed(
        registration,
        { ...rest, namespaces: cloneUserns ? ['user'] : [], idMappings: cloneUserns ? opts.idMappings : undefined, idMapper: opts.idMapper },
        logger,
      );
      return result.stdout;
    },
  };
}
