// The addon's sources compile against musl's headers (Debian's musl-dev; syntax only: Debian
// has no musl C++ runtime to link against), and a glibc-only call would fail here.
import { execFileSync } from 'node:child_process';
import { readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import test from 'ava';

import { tempDir } from '../helpers/fs.js';
import { ROOT, run } from '../helpers/process.js';

const TRIPLE = execFileSync('gcc', ['-dumpmachine'], { encoding: 'utf8' }).trim(); // x86_64-linux-gnu
const MUSL = `/usr/include/${TRIPLE.replace(/-gnu$/, '-musl')}`;
const GCC = execFileSync('g++', ['-dumpversion'], { encoding: 'utf8' }).trim().split('.')[0];
const NODE_HEADERS = join(dirname(dirname(process.execPath)), 'include', 'node');

function syntaxCheck(t, file) {
  // musl-dev has no kernel headers (Alpine's linux-headers): take only linux/ and asm/.
  const kernel = tempDir(t, 'reexecer-musl-');
  symlinkSync('/usr/include/linux', join(kernel, 'linux'));
  symlinkSync('/usr/include/asm-generic', join(kernel, 'asm-generic'));
  symlinkSync(`/usr/include/${TRIPLE}/asm`, join(kernel, 'asm'));
  return run(
    ['g++', '-std=c++17', '-fsyntax-only', '-nostdinc', '-Wall', '-Wextra', '-Werror',
      '-include', join(ROOT, 'test/fixtures/native/musl-libstdcxx-shim.h'),
      '-D_GNU_SOURCE', '-DNAPI_VERSION=8', '-DNODE_ADDON_API_DISABLE_DEPRECATED',
      '-isystem', `/usr/include/c++/${GCC}`, '-isystem', `/usr/include/${TRIPLE}/c++/${GCC}`,
      '-isystem', execFileSync('gcc', ['-print-file-name=include'], { encoding: 'utf8' }).trim(),
      '-isystem', MUSL, '-isystem', kernel, '-I', NODE_HEADERS, '-I', join(ROOT, 'node_modules/node-addon-api'), file],
  );
}

for (const file of readdirSync(join(ROOT, 'native')).filter((f) => f.endsWith('.cc'))) {
  test(`native/${file} compiles against musl's headers`, async (t) => {
    const r = await syntaxCheck(t, join(ROOT, 'native', file));
    t.is(r.code, 0, r.stderr);
  });
}

test('the check fails on a glibc-only call (strerrorname_np)', async (t) => {
  const source = join(tempDir(t, 'reexecer-musl-src-'), 'glibc-only.cc');
  writeFileSync(source, '#include <string.h>\nconst char* name(int e) { return strerrorname_np(e); }\n');
  const r = await syntaxCheck(t, source);
  t.not(r.code, 0);
  t.regex(r.stderr, /strerrorname_np/);
});
