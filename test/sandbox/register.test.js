// sandbox.register: the checks on ids and actions, the module it records, and a child
// that imports that module only.
import test from 'ava';
import { newReexecer, register, registeredIds } from 'reexecer/sandbox';

import '../fixtures/sandbox/actions.js';
import '../fixtures/sandbox/isolated.js';
import { captureLogger, PATH, ROOT, run } from '../fixtures/sandbox/helpers.js';

test('a duplicate id is refused, naming the id and both modules', (t) => {
  const error = t.throws(() => register('hi', () => {}));
  t.is(error.kind, 'invalid-options');
  t.regex(error.message, /"hi"/);
  t.regex(error.message, /test\/fixtures\/sandbox\/actions\.js/, 'the module that registered it first');
  t.regex(error.message, /test\/sandbox\/register\.test\.js/, 'the module that registers it again');
});

for (const [what, id] of Object.entries({ empty: '', slash: 'a/b', whitespace: 'a b', 'a control character': 'a\u0001', '65 characters': 'z'.repeat(65) })) {
  test(`an unsafe id is refused: ${what}`, (t) => {
    const error = t.throws(() => register(id, () => {}));
    t.is(error.kind, 'invalid-options');
    t.false(registeredIds().includes(id));
  });
}

test('an action that is not a function is refused', (t) => {
  t.throws(() => register('sandbox-test-not-a-function', 42), { message: /must be a function/ });
  t.false(registeredIds().includes('sandbox-test-not-a-function'));
});

test('register from code that is not a module file (node -e) is refused', async (t) => {
  const code = "import('reexecer/sandbox').then(({ register }) => { try { register('from-eval', () => {}); console.log('registered'); } catch (e) { console.log(e.kind + ': ' + e.message); } })";
  const r = await run([process.execPath, '-e', code], { cwd: ROOT, env: { PATH } });
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^invalid-options: register\(\) must be called from a module file/);
});

test('the child imports the registering module only, not what else the parent imported', async (t) => {
  t.true(registeredIds().includes('hi'), 'the parent has the ids of actions.js too');
  const out = await newReexecer(captureLogger().logger).reexec('list-registered');
  t.deepEqual(JSON.parse(out), ['list-registered']);
});
