// reexecer/reexec, containers/storage's pkg/reexec in Node: the registry's checks in this
// worker, and init/initAsync/command in fixture entry scripts run as real processes
// (plain node, node --import <loader>, and as nobody).
import { join } from 'node:path';

import test from 'ava';
import { command, init, register, self } from 'reexecer/reexec';

import { ROOT, run } from '../helpers/process.js';
import { runJson } from '../helpers/users.js';

const FIXTURES = join(ROOT, 'test/fixtures/reexec');
const LOADER = join(FIXTURES, 'loader.mjs');

/** Runs a fixture entry script with node (and `flags`) as `as`; returns its JSON output. */
function fixture(script, { flags = [], as = 'root' } = {}) {
  return runJson([process.execPath, ...flags, join(FIXTURES, script)], { as, what: script });
}

// ---- the registry, in this worker ----

test('register throws on a duplicate, naming it', (t) => {
  register('reexec-test-duplicate', () => {});
  const error = t.throws(() => register('reexec-test-duplicate', () => {}));
  t.is(error.name, 'ReexecError');
  t.is(error.kind, 'invalid-options');
  t.regex(error.message, /"reexec-test-duplicate"/);
  t.regex(error.message, /already registered/);
});

const UNSAFE = {
  empty: '',
  slash: '/',
  'a path': 'bin/sh',
  space: 'two words',
  tab: 'a\tb',
  newline: 'a\nb',
  'a NUL': 'a\0b',
  'an escape': 'a\u001bb',
  DEL: 'a\u007fb',
  'a non-breaking space': 'a\u00a0b',
  '65 characters': 'x'.repeat(65),
};
for (const [what, name] of Object.entries(UNSAFE)) {
  test(`register refuses an unsafe name: ${what}`, (t) => {
    const error = t.throws(() => register(name, () => {}));
    t.is(error.kind, 'invalid-options');
    t.regex(error.message, /name/);
  });
}

test('register accepts a 64-character name and a non-function is refused', (t) => {
  t.notThrows(() => register('y'.repeat(64), () => {}));
  t.throws(() => register('reexec-test-not-a-function', 'nope'), { message: /must be a function/ });
});

test('command refuses an unsafe name too', (t) => {
  t.throws(() => command('two words'), { message: /whitespace/ });
});

test('init() returns false when argv0 names no registered function; self() is node', (t) => {
  register('reexec-test-never-argv0', () => t.fail('must not run'));
  t.not(process.argv0, 'reexec-test-never-argv0');
  t.false(init());
  t.is(self(), process.execPath);
});

// ---- entry scripts, as real processes ----

for (const as of ['root', 'nobody']) {
  test(`${as}: a plain script: register, if (init()) exit, command() runs the function in a child`, async (t) => {
    const { parent, child, code, stderr } = await fixture('plain.js', { as });
    t.is(code, 0, stderr);
    t.is(child.argv0, 'print-self');
    t.deepEqual(child.argv, [process.execPath, join(FIXTURES, 'plain.js'), 'a', 'b c'], 'node, the entry script, the args');
    t.is(child.ppid, parent.pid);
    t.not(child.pid, parent.pid);
    t.is(child.depth, 1, 'the child dispatched at once, it did not run the program again');
    t.deepEqual(child.execArgv, []);
    t.is(parent.self, parent.execPath);
    t.not(parent.argv0, 'print-self');
  });
}

test('under node --import <loader>: the child gets the same flags and the loader runs in it', async (t) => {
  const { parent, child, code, stderr } = await fixture('plain.js', { flags: ['--import', LOADER] });
  t.is(code, 0, stderr);
  t.deepEqual(parent.execArgv, ['--import', LOADER]);
  t.deepEqual(child.execArgv, ['--import', LOADER]);
  t.deepEqual(child.loader, { pid: child.pid, argv0: 'print-self' }, 'the loader ran in the child itself');
  t.is(parent.loader.pid, parent.pid);
  t.not(parent.loader.argv0, 'print-self');
});

test('under node --import <loader>: an entry script that needs the loader\'s hook works in the child', async (t) => {
  const { parent, child, code, stderr } = await fixture('needs-loader.js', { flags: ['--import', LOADER] });
  t.is(code, 0, stderr);
  t.is(parent.greeting, 'hello from the loader');
  t.is(child.argv0, 'greet');
  t.is(child.greeting, 'hello from the loader', 'the child resolved virtual:greeting through the hook');
  t.is(child.depth, 1);
});

test('without the loader the script that needs it fails (the control of the test above)', async (t) => {
  const r = await run([process.execPath, join(FIXTURES, 'needs-loader.js')], { cwd: ROOT });
  t.not(r.code, 0);
  t.regex(r.stderr, /virtual/);
});

test('initAsync runs an async function to its end, and returns false in the parent', async (t) => {
  const r = await fixture('async.js');
  t.is(r.code, 0, r.stderr);
  t.is(r.child, 'started;finished after the await;depth=1');
  t.false(r.initAsyncInParent);
});

test('init() with a function that returns a promise throws a clear error', async (t) => {
  const { child, code } = await fixture('promise-init.js');
  t.is(code, 3);
  t.true(child.threw);
  t.is(child.argv0, 'returns-promise');
  t.is(child.kind, 'invalid-options');
  t.regex(child.message, /returned a promise/);
  t.regex(child.message, /initAsync/);
});

test('command() before init() throws; after init() it runs the child', async (t) => {
  const { before, after } = await fixture('before-init.js');
  t.true(before.threw);
  t.is(before.kind, 'invalid-options');
  t.regex(before.message, /before init\(\)/);
  t.is(after.code, 0, after.stderr);
  t.is(after.stdout, 'child-fn ran at depth 1');
});
