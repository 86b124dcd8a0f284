// Temporary directories of the test suites.
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ROOT_DEFAULT_HOST_ID } from 'reexecer/native';

/** A fresh directory under the system temp dir, chmod'ed to `mode` when given (else mkdtemp's 0700). */
export function makeTempDir(prefix, mode) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (mode !== undefined) chmodSync(dir, mode);
  return dir;
}

/** Removes a directory tree; a missing one is fine. */
export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
}

/** A temporary directory removed when test `t` ends. */
export function tempDir(t, prefix = 'reexecer-test-', mode = undefined) {
  const dir = makeTempDir(prefix, mode);
  t.teardown(() => removeDir(dir));
  return dir;
}

/**
 * As root, gives `path` to the host id that root's default user-namespace map makes the
 * namespace's root (never host root): what GrootFS does to a layer dir before unpacking.
 * Other users' default map is their own id, which owns their dirs already.
 */
export function giveToDefaultRoot(path) {
  if (process.geteuid() === 0) chownSync(path, ROOT_DEFAULT_HOST_ID, ROOT_DEFAULT_HOST_ID);
  return path;
}
