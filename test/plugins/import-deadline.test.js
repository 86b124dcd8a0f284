// A plugin module whose top-level await never settles: loading fails with an error naming
// the file once the import deadline passed, in the API and in `reexecer list`.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import test from 'ava';

import { loadPlugins } from 'reexecer';

import { tempDir } from '../helpers/fs.js';
import { PATH, ROOT, run } from '../helpers/process.js';

function stuckPluginDir(t) {
  const dir = tempDir(t, 'reexecer-stuck-', 0o755);
  writeFileSync(join(dir, 'stuck.mjs'), 'await new Promise(() => {});\nexport const never = 1;\n');
  return dir;
}

test('loadPlugins: an import that never settles is a timeout naming the file', async (t) => {
  const dir = stuckPluginDir(t);
  const error = await t.throwsAsync(loadPlugins(dir, { importTimeoutMs: 300 }));
  t.is(error.kind, 'timeout');
  t.regex(error.message, new RegExp(`plugin file ${join(dir, 'stuck.mjs')} did not finish loading within 300 ms`));
});

test('loadPlugins: a bad importTimeoutMs is invalid-options', async (t) => {
  for (const importTimeoutMs of [0, -1, 1.5, 2 ** 31, Number.NaN]) {
    const error = await t.throwsAsync(loadPlugins([], { importTimeoutMs }));
    t.is(error.kind, 'invalid-options', String(importTimeoutMs));
  }
});

for (const as of ['root', 'nobody']) {
  test(`${as}: reexecer list exits non-zero on a plugin that never finishes loading`, async (t) => {
    const dir = stuckPluginDir(t);
    const prefix = as === 'root' ? [] : ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
    const r = await run([...prefix, process.execPath, join(ROOT, 'dist/cli/main.js'), 'list', '--plugins', dir], { env: { PATH, REEXECER_IMPORT_TIMEOUT_MS: '300' } });
    t.not(r.code, 0, r.stdout);
    t.regex(r.stderr, /stuck\.mjs did not finish loading within 300 ms/);
  });
}
