import { closeSync, constants, fstatSync, openSync, type Stats } from 'node:fs';
import { resolve } from 'node:path';

import { ReexecError } from '../errors.js';

export interface OpenedFiles {
  fds: number[];
  paths: string[];
  close(): void;
}

function kindOf(stats: Stats): string | undefined {
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  return undefined;
}

/**
 * Opens the files the child gets, in the parent and before any chroot, read-only and
 * close-on-exec (only the spawn hands them over). An open directory is refused unless
 * asked for: fchdir to it from inside a chroot walks out of the chroot. The open does not
 * block (O_NONBLOCK: a FIFO with no writer would hold the event loop for good), and only
 * regular files (and allowed directories) are accepted: a FIFO, socket or device is refused.
 */
export function openExtraFiles(paths: readonly string[], allowDirectories: boolean): OpenedFiles {
  const fds: number[] = [];
  const close = () => fds.splice(0).forEach((fd) => closeSync(fd));
  try {
    for (const path of paths) {
      if (typeof path !== 'string' || path === '') throw new ReexecError('invalid-options', 'extraFiles entries must be non-empty paths');
      let fd: number;
      try {
        fd = openSync(path, constants.O_RDONLY | constants.O_NOCTTY | constants.O_NONBLOCK);
      } catch (error) {
        const e = error as NodeJS.ErrnoException;
        throw new ReexecError('invalid-options', `extra file ${path}: ${e.message.replace(/^[A-Z]+: /, '')}`, { cause: error, code: e.code });
      }
      fds.push(fd);
      const stats = fstatSync(fd);
      const special = kindOf(stats);
      if (special) throw new ReexecError('invalid-options', `extra file ${path} is ${special}: only regular files (and, when allowed, directories) can be passed; reading it could block the child or the host`);
      if (!allowDirectories && stats.isDirectory())
        throw new ReexecError('invalid-options', `extra file ${path} is a directory: an open directory fd lets the child leave its chroot. Pass allowDirectories: true if that is intended`);
    }
  } catch (error) {
    close();
    throw error;
  }
  return { fds, paths: paths.map((p) => resolve(p)), close };
}
