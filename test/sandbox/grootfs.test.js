// GrootFS's own sandbox tests, ported in spirit: the actions live in a fixture module
// (test/fixtures/sandbox/actions.js) that the child imports. Each test runs as root (in the
// ava worker) and as nobody (a fixture process under setpriv).
import test from 'ava';

import { removeDir, runScenario, scenario, tempDir } from '../fixtures/sandbox/helpers.js';

const USERS = ['root', 'nobody'];

// NODE_OPTIONS is passed on by design (it may name the loader the registering module needs).
const nodeOptions = (parent) => (parent.nodeOptions === undefined ? {} : { NODE_OPTIONS: parent.nodeOptions });
const [major, minor] = process.versions.node.split('.').map(Number);
const COMPILE_CACHE = major > 22 || (major === 22 && minor >= 1); // src/sandbox/compile-cache.ts

/** The child's env without reexecer's own NODE_COMPILE_CACHE, checked to be there only where Node has one. */
function withoutCompileCache(t, env) {
  const { NODE_COMPILE_CACHE, ...rest } = env;
  if (COMPILE_CACHE) t.regex(NODE_COMPILE_CACHE ?? '', /\/reexecer-\d+$/, 'Node >= 22.1: the compile cache dir reexecer gives its children');
  else t.is(NODE_COMPILE_CACHE, undefined);
  return rest;
}

for (const as of USERS) {
  const uid = as === 'root' ? 0 : 65534;

  test(`${as}: executes the action and returns its stdout`, async (t) => {
    const r = await scenario(as, 'hi');
    t.is(r.parent.uid, uid, 'the scenario runs as the intended user');
    t.is(r.error, undefined);
    t.is(r.value, 'Hi from action!');
  });

  test(`${as}: the child runs with argv0 = id, its args and no environment of the parent`, async (t) => {
    const { parent, child, error } = await scenario(as, 'whoami', { spec: { args: ['one', 'two words', ''] } });
    t.is(error, undefined);
    t.is(child.argv0, 'whoami');
    t.not(child.pid, parent.pid);
    t.deepEqual(child.args, ['one', 'two words', '']);
    t.is(child.uid, uid, 'without cloneUserns the child keeps the caller ids');
    t.deepEqual(withoutCompileCache(t, child.env), nodeOptions(parent), "nothing of the parent's environment reaches the child");
  });

  test(`${as}: env adds exactly the variables asked for`, async (t) => {
    const r = await scenario(as, 'env', { env: { FOO: 'bar', EMPTY: '' } });
    t.true(r.parentEnv.includes('PATH'), 'the parent does have an environment');
    t.deepEqual(withoutCompileCache(t, r.childEnv), { ...nodeOptions(r.parent), FOO: 'bar', EMPTY: '' });
  });

  test(`${as}: preserves the cwd`, async (t) => {
    // A cwd of its own (not the repository), so that "the same" cannot be a coincidence.
    const cwd = tempDir('reexecer-cwd-');
    t.teardown(() => removeDir(cwd));
    const { parent, child, error } = await runScenario('whoami', {}, { as, cwd });
    t.is(error, undefined);
    t.is(parent.cwd, cwd);
    t.is(child.cwd, cwd);
  });

  test(`${as}: without cloneUserns the child stays in the parent's user namespace`, async (t) => {
    const { parent, child } = await scenario(as, 'whoami');
    t.regex(parent.userns, /^user:\[\d+\]$/);
    t.is(child.userns, parent.userns);
  });

  test(`${as}: cloneUserns gives another user namespace in which the child is root`, async (t) => {
    const { parent, child, error } = await scenario(as, 'whoami', { spec: { cloneUserns: true } });
    t.is(error, undefined);
    t.regex(child.userns, /^user:\[\d+\]$/);
    t.not(child.userns, parent.userns);
    t.is(child.uid, 0);
    t.is(child.gid, 0);
  });

  for (const kind of ['string', 'buffer', 'stream', 'empty']) {
    test(`${as}: propagates stdin given as ${kind === 'empty' ? 'an empty string' : `a ${kind}`}`, async (t) => {
      const r = await scenario(as, 'stdin', { kind });
      t.is(r.length, r.expectedLength);
      t.true(r.same, 'byte for byte');
    });
  }

  test(`${as}: without stdin the child reads EOF at once`, async (t) => {
    const r = await scenario(as, 'noStdin');
    t.is(r.error, undefined);
    t.is(r.value, '');
  });

  test(`${as}: relogs the child's log lines onto the parent's logger`, async (t) => {
    const r = await scenario(as, 'relog');
    t.is(r.error, undefined);
    t.is(r.records.length, 2);
    const [info, warn] = r.records;
    t.like(info, { level: 30, msg: 'hello from the child', args: ['a', 'b c'], reexec: 'log' });
    t.like(warn, { level: 40, msg: 'careful', reexec: 'log' });
    t.is(typeof info.pid, 'number');
    t.not(info.pid, r.parent.pid, "pid is the child's, not the parent's");
    t.is(warn.pid, info.pid);
  });

  test(`${as}: receives an extra file`, async (t) => {
    const r = await scenario(as, 'extraFile');
    t.is(r.error, undefined);
    t.is(r.value, 'the contents of an extra file');
  });

  test(`${as}: extra files arrive in order, as fds from 5 with their absolute paths`, async (t) => {
    const r = await scenario(as, 'extraFiles');
    t.is(r.error, undefined);
    t.deepEqual(
      JSON.parse(r.value),
      r.files.map((path, i) => ({ fd: 5 + i, path, isDirectory: false })),
    );
  });

  test(`${as}: a missing extra file fails with "no such file or directory"`, async (t) => {
    const { error, value } = await scenario(as, 'missingExtraFile');
    t.is(value, undefined);
    t.true(error.isReexecError);
    t.regex(error.message, /no such file or directory/);
    t.regex(error.message, /does-not-exist/, 'the message names the file');
  });

  for (const cloneUserns of as === 'root' ? [true, false] : [true]) {
    test(`${as}: chroot${cloneUserns ? ' with cloneUserns' : ''} makes the cwd /`, async (t) => {
      const { child, error, parent } = await scenario(as, 'chroot', { cloneUserns });
      t.is(error, undefined);
      t.not(parent.cwd, '/');
      t.is(child.cwd, '/');
      t.is(child.userns, 'error: ENOENT', 'no /proc inside the chroot: it really is the new root');
    });

    test(`${as}: an extra file from outside the chroot${cloneUserns ? ' (cloneUserns)' : ''} is readable inside`, async (t) => {
      const { child, error, outside } = await scenario(as, 'extraFileIntoChroot', { cloneUserns });
      t.is(error, undefined);
      t.is(child.content, 'from outside the chroot');
      t.is(child.path, outside);
      t.false(child.pathVisible, 'the path itself is outside the new root');
      t.deepEqual(child.root, ['marker']);
    });
  }

  test(`${as}: an unregistered id fails with exactly "unregistered command: <id>"`, async (t) => {
    const { error, value, records } = await scenario(as, 'unregistered', { id: 'no-such-action' });
    t.is(value, undefined);
    t.is(error.message, 'unregistered command: no-such-action');
    t.is(error.kind, 'unregistered');
    t.deepEqual(records, []);
  });
}
