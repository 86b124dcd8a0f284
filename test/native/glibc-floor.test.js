// The addon asks for no glibc symbol version newer than 2.33 (Debian 12, Ubuntu 22.04,
// RHEL 9): the prebuilds are made on Debian 12's glibc 2.36, and a newer symbol would make
// them fail to load on older systems (where `npm rebuild reexecer` builds from source).
// 2.33, not 2.28: built on glibc >= 2.33, fstat/fstatat/mknodat (native/extract.cc) bind
// to their 2.33 versions; the rest needs 2.28 at most.
import { execFileSync } from 'node:child_process';

import test from 'ava';

import { loadAddon } from '../../dist/native/addon.js';

const FLOOR = [2, 33];

test('the loaded addon needs glibc 2.33 at most', (t) => {
  const { path } = loadAddon();
  const symbols = execFileSync('objdump', ['-T', path], { encoding: 'utf8' });
  const newer = [...symbols.matchAll(/\(GLIBC_(\d+)\.(\d+)(?:\.\d+)?\)\s+(\S+)/g)]
    .filter(([, major, minor]) => Number(major) > FLOOR[0] || (Number(major) === FLOOR[0] && Number(minor) > FLOOR[1]))
    .map(([, major, minor, name]) => `${name}@GLIBC_${major}.${minor}`);
  t.deepEqual(newer, [], `${path} needs a glibc newer than ${FLOOR.join('.')}`);
});
