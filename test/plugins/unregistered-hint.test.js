// The hint of an unregistered id says what was loaded: before any plugin directory it asks
// for one; after a directory that declares nothing it names that directory instead.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import test from 'ava';

import { loadPlugins, Reexecer, ReexecError } from 'reexecer';

import { removeDir, tempDir } from '../fixtures/plugins/helpers.js';

const silent = { logger: (await import('pino')).pino({ level: 'silent' }) };

test.serial('no directory loaded: the hint asks for one', async (t) => {
  const reexecer = await Reexecer.create(silent);
  const error = await t.throwsAsync(reexecer.reexec('nope'), { instanceOf: ReexecError });
  t.is(error.kind, 'unregistered');
  t.regex(error.hint, /load a plugin directory first/);
});

test.serial('a directory without plugins loaded: the hint names it, and asks for nothing it was given', async (t) => {
  const parent = tempDir('reexecer-empty-');
  t.teardown(() => removeDir(parent));
  const dir = join(parent, 'plugins');
  mkdirSync(dir);
  t.deepEqual(await loadPlugins([dir]), []);
  const reexecer = await Reexecer.create({ ...silent, plugins: [dir] });
  const error = await t.throwsAsync(reexecer.reexec('nope'), { instanceOf: ReexecError });
  t.is(error.message.split('\n')[0], 'unregistered command: nope');
  t.notRegex(error.hint, /load a plugin directory first/);
  t.true(error.hint.includes(dir), error.hint);
});
