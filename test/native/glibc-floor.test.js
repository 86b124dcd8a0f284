// The addon asks for no glibc symbol version newer than 2.28 (Debian 10, RHEL 8): the
// prebuilds are made on a newer glibc, and a newer symbol (pthread_sigmask@GLIBC_2.32,
// strerrorname_np@GLIBC_2.32) would make them fail to load on older systems.
import { execFileSync } from 'node:child_process';

import test from 'ava';

import { loadAddon } from '../../dist/native/addon.js';

const FLOOR = [2, 28];

test('the loaded addon needs glibc 2.28 at most', (t) => {
  const { path } = loadAddon();
  const symbols = execFileSync('objdump', ['-T', path], { encoding: 'utf8' });
  const newer = [...symbols.matchAll(/\(GLIBC_(\d+)\.(\d+)(?:\.\d+)?\)\s+(\S+)/g)]
    .filter(([, major, minor]) => Number(major) > FLOOR[0] || (Number(major) === FLOOR[0] && Number(minor) > FLOOR[1]))
    .map(([, major, minor, name]) => `${name}@GLIBC_${major}.${minor}`);
  t.deepEqual(newer, [], `${path} needs a glibc newer than ${FLOOR.join('.')}`);
});
