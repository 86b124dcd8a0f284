// Discovery errors name the file: the same id declared in two files (both named), a
// module that throws on import or does not parse (with the cause), an id that is already
// registered through reexecer/sandbox. Ids are process-wide: this file's worker holds
// only these fixture directories, each with ids of its own.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import test from 'ava';

import { loadPlugins, ReexecError, Sandboxed } from 'reexecer';
import { register } from 'reexecer/sandbox';
import { lookup } from '../../dist/sandbox/registry.js';

import { HERE } from '../fixtures/plugins/helpers.js';

async function loadError(t, dir) {
  const error = await t.throwsAsync(loadPlugins([join(HERE, dir)], { manifest: 'ignore' }));
  t.true(error instanceof ReexecError, `a ReexecError, got ${error?.constructor?.name}: ${error?.message}`);
  t.is(error.kind, 'invalid-options');
  return error;
}

test('the same id in two files → an error naming both files and the id', async (t) => {
  const error = await loadError(t, 'dup');
  const first = join(HERE, 'dup/a.js');
  const second = join(HERE, 'dup/nested/b.js');
  t.regex(error.message, /"dup-id"/);
  t.true(error.message.includes(first) || error.message.includes(pathToFileURL(first).href), `names ${first}: ${error.message}`);
  t.true(error.message.includes(second) || error.message.includes(pathToFileURL(second).href), `names ${second}: ${error.message}`);
  t.is(lookup('dup-id')?.module, pathToFileURL(first).href, 'the first registration stands');
});

test('a module that throws on import → an error naming the file, with the cause', async (t) => {
  const error = await loadError(t, 'throws');
  t.true(error.message.includes(join(HERE, 'throws/bad.js')), error.message);
  t.regex(error.message, /kaboom at import time/);
  t.true(error.cause instanceof Error);
  t.is(error.cause.message, 'kaboom at import time');
  t.is(error.cause.code, 'EKABOOM');
  t.is(lookup('throws-bad'), undefined);
});

test('a module that does not parse → an error naming the file, with the SyntaxError', async (t) => {
  const error = await loadError(t, 'syntax');
  t.true(error.message.includes(join(HERE, 'syntax/broken.js')), error.message);
  t.true(error.cause instanceof SyntaxError, `cause: ${error.cause}`);
});

test('an id already registered through reexecer/sandbox → an error naming the id and the file', async (t) => {
  register('collide-id', () => {});
  const error = await loadError(t, 'collide');
  t.regex(error.message, /"collide-id"/);
  t.true(error.message.includes(join(HERE, 'collide/plugin.js')), error.message);
  t.regex(error.message, /already registered/);
  t.is(lookup('collide-id')?.module, import.meta.url, 'the sandbox registration stands');
});

test('an id registered by a plugin cannot be registered again through reexecer/sandbox', (t) => {
  class Owner {
    run() {}
  }
  Sandboxed({ id: 'owned-by-plugin' })(Owner);
  const error = t.throws(() => register('owned-by-plugin', () => {}));
  t.true(error instanceof ReexecError);
  t.is(error.kind, 'invalid-options');
  t.regex(error.message, /owned-by-plugin/);
});
