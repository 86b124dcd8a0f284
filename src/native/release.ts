import { readFileSync, writeSync } from 'node:fs';

import { addon } from './addon.js';

import type { IdMapper } from './id-mapper.js';
import type { IdMappings } from './id-mappings.js';

/**
 * Writes the maps and releases the waiting child. Stays synchronous when the mapper is
 * (root, or a self map): the caller can then block the few hundred microseconds until
 * execve, as libuv's spawn does, instead of returning to the event loop while the child
 * still shares every page copy-on-write with it. newuidmap makes it asynchronous.
 * `close()` gives up: the child reads EOF and exits; a mapper that settles later finds
 * the fd gone and writes nothing.
 */
export function mapAndRelease(pid: number, syncFd: number, mapper: IdMapper, mappings: IdMappings): { done: void | Promise<void>; close(): void } {
  let open = true;
  const close = () => {
    if (open) addon.close(syncFd); // without the byte first, EOF: the waiting child exits without exec
    open = false;
  };
  const release = () => {
    if (!open) return;
    // setgroups(2) is forbidden once a self map denied it; the child cannot read that itself.
    const groupsAllowed = readFileSync(`/proc/${pid}/setgroups`, 'utf8').trim() === 'allow';
    writeSync(syncFd, groupsAllowed ? 'g' : 'k');
    close();
  };
  const fail = (error: unknown): never => {
    close();
    throw error;
  };
  const map = () => {
    try {
      const gids = () => {
        if (!open) return;
        const written = mapper.mapGids(pid, mappings.gidMappings);
        return written instanceof Promise ? written.then(release) : release();
      };
      const uids = mapper.mapUids(pid, mappings.uidMappings);
      const done = uids instanceof Promise ? uids.then(gids) : gids();
      return done instanceof Promise ? done.catch(fail) : done;
    } catch (error) {
      return fail(error);
    }
  };
  let done: void | Promise<void>;
  try {
    done = map();
  } catch (error) {
    done = Promise.reject(error);
  }
  return { done, close };
}

