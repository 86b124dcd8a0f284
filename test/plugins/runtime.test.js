// The Reexecer service with the fixture plugins of test/fixtures/plugins/runtime: what the
// child's inversify container injects (LOGGER, FILES, ARGS, the plugin's own @injectable
// helpers), run()'s value through the v8 serializer, errors by kind, list(), and the
// ContainerModule for a host's own container. Runs as root in this worker.
import { readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import test from 'ava';
import { Container } from 'inversify';

import { Reexecer, ReexecError, reexecerModule } from 'reexecer';

import { captureLogger, removeDir, RUNTIME, tempDir } from '../fixtures/plugins/helpers.js';
import { richValue } from '../fixtures/plugins/runtime/values.js';

const log = captureLogger('info');
const reexecer = await Reexecer.create({ plugins: [RUNTIME], logger: log.logger });
const records = (id) => log.records().filter((r) => r.reexec === id);

async function failure(t, promise) {
  const error = await t.throwsAsync(promise);
  t.true(error instanceof ReexecError, `a ReexecError, got ${error?.constructor?.name}: ${error?.message}`);
  return error;
}

test('LOGGER, FILES, ARGS and the plugin’s own @injectable helper are injected in the child', async (t) => {
  const dir = tempDir();
  t.teardown(() => removeDir(dir));
  const one = join(dir, 'one.txt');
  const two = join(dir, 'two.txt');
  writeFileSync(one, 'first file\n');
  writeFileSync(two, 'second ✓');
  const result = await reexecer.reexec('rt-probe', { args: ['a', 'two words', '', '--flag'], files: [one, two] });
  const { value } = result;
  t.deepEqual(value.args, ['a', 'two words', '', '--flag']);
  t.true(value.argsFrozen);
  t.deepEqual(value.files, [
    { path: one, fdType: 'number', content: 'first file\n' },
    { path: two, fdType: 'number', content: 'second ✓' },
  ]);
  t.true(value.filesFrozen);
  t.is(value.helper, 'hello helper with 4 args', 'the helper and its own dependencies (Greeter, ARGS) were injected');
  t.true(value.helperIsHelper);
  t.is(value.child.argv0, 'rt-probe');
  t.not(value.child.pid, process.pid);

  t.true(Buffer.isBuffer(result.stdout));
  t.true(Buffer.isBuffer(result.stderr));
  t.is(result.exitCode, 0);
  t.true(typeof result.durationMs === 'number' && result.durationMs > 0);
  t.true(result.timings.actionDone >= result.timings.moduleImported && result.timings.moduleImported > 0);

  const lines = records('rt-probe').filter((r) => r.pid === value.child.pid);
  const line = lines.find((r) => r.msg === 'probe running');
  t.truthy(line, `the child's LOGGER line reached the host's logger: ${JSON.stringify(log.records())}`);
  t.is(line.plugin, 'rt-probe', 'LOGGER is a child logger bound to the plugin id');
  t.deepEqual(line.args, ['a', 'two words', '', '--flag']);
  t.false(lines.some((r) => r.msg === 'a debug line'), "the host logger's level applies in the child");
});

test('every run gets a container of its own: concurrent runs see their own args', async (t) => {
  const results = await Promise.all(['r0', 'r1', 'r2', 'r3'].map((arg) => reexecer.reexec('rt-probe', { args: [arg] })));
  t.deepEqual(
    results.map((r) => r.value.args),
    [['r0'], ['r1'], ['r2'], ['r3']],
  );
  t.is(new Set(results.map((r) => r.value.child.pid)).size, 4);
});

test('a missing file → invalid-options naming it, before any spawn', async (t) => {
  const error = await failure(t, reexecer.reexec('rt-probe', { files: ['/nonexistent/reexecer-file'] }));
  t.is(error.kind, 'invalid-options');
  t.regex(error.message, /\/nonexistent\/reexecer-file/);
  t.regex(error.message, /no such file or directory/);
});

test('run()’s value crosses through the v8 serializer: Buffer, Map, Set, Date, bigint, typed arrays, nested data', async (t) => {
  const { value } = await reexecer.reexec('rt-values', { args: ['rich'] });
  t.deepEqual(value, richValue());
  t.true(Buffer.isBuffer(value.buffer), 'a Buffer comes back as a Buffer');
  t.deepEqual([...value.buffer], [0, 1, 2, 253, 254, 255]);
  t.true(value.map instanceof Map);
  t.true(value.map.get(2).nested[0] instanceof Date);
  t.true(value.map.get(2).nested[1] instanceof Map);
  t.true(Buffer.isBuffer(value.map.get(2).nested[1].get('deep')));
  t.true(value.set instanceof Set);
  t.true(value.date instanceof Date);
  t.is(value.date.toISOString(), '2020-01-02T03:04:05.678Z');
  t.is(value.bigint, 2n ** 70n);
  t.true(value.typed instanceof Uint16Array);
  t.true(value.regexp instanceof RegExp);
  t.true(Number.isNaN(value.nan));
  t.true(Object.is(value.negZero, -0));
  t.true('3' in value.nested.deep.list && value.nested.deep.list[3] === undefined);
});

test('run() returning undefined or a string', async (t) => {
  t.is((await reexecer.reexec('rt-values', { args: ['undefined'] })).value, undefined);
  t.is((await reexecer.reexec('rt-values', { args: ['plain text'] })).value, 'plain text');
});

for (const what of ['function', 'symbol', 'weakmap']) {
  test(`a value holding a ${what} cannot be serialized → kind 'serialization', not a hang`, async (t) => {
    const error = await failure(t, reexecer.reexec('rt-values', { args: [what] }));
    t.is(error.kind, 'serialization');
    t.regex(error.message, /rt-values/);
    t.regex(error.message, /cannot cross the process boundary/);
    t.regex(error.message, /could not be cloned/i);
  });
}

test("run() throwing → plugin-threw with the child's error as cause", async (t) => {
  const error = await failure(t, reexecer.reexec('rt-values', { args: ['throw'] }));
  t.is(error.kind, 'plugin-threw');
  t.regex(error.message, /thrown on purpose/);
  t.is(error.code, 'EPURPOSE');
  t.is(error.cause.name, 'RangeError');
  t.regex(error.cause.stack, /runtime\/values\.js:\d+/);
});

test('an unknown id → unregistered, "unregistered command: <id>"', async (t) => {
  const error = await failure(t, reexecer.reexec('no-such-plugin'));
  t.is(error.kind, 'unregistered');
  t.is(error.message.split('\n')[0], 'unregistered command: no-such-plugin');
  t.regex(error.message, /rt-probe/, 'the hint lists the registered plugins');
});

test('list() describes every registered plugin: id, class, options, module and export', (t) => {
  const list = reexecer.list();
  const byId = Object.fromEntries(list.map((p) => [p.id, p]));
  for (const id of ['rt-probe', 'rt-values', 'rt-chroot', 'rt-userns', 'rt-uts', 'rt-subids', 'rt-maps', 'rt-pivot', 'rt-sleep']) t.truthy(byId[id], `${id} listed`);
  t.like(byId['rt-probe'], { className: 'Probe', exportName: 'Probe', options: { id: 'rt-probe' } });
  t.is(byId['rt-probe'].module, new URL('../fixtures/plugins/runtime/probe.js', import.meta.url).href);
  t.like(byId['rt-sleep'], { className: 'Sleeper', exportName: 'Sleeper', options: { id: 'rt-sleep', timeoutMs: 4000 } });
  t.is(byId['rt-sleep'].module, new URL('../fixtures/plugins/runtime/floors.js', import.meta.url).href);
  t.deepEqual(byId['rt-uts'].options, { id: 'rt-uts', userns: true, namespaces: ['uts'], hostname: 'declared-host' });
  // list() hands out copies
  list[0].id = 'changed';
  t.false(reexecer.list().some((p) => p.id === 'changed'));
});

test('reexecerModule(): a host container gets Reexecer injected (a singleton) and runs plugins', async (t) => {
  const host = captureLogger('info');
  const container = new Container();
  await container.loadAsync(reexecerModule({ plugins: [RUNTIME], logger: host.logger }));
  const fromContainer = await container.getAsync(Reexecer);
  t.true(fromContainer instanceof Reexecer);
  t.is(await container.getAsync(Reexecer), fromContainer);
  const { value } = await fromContainer.reexec('rt-probe', { args: ['from the container'] });
  t.deepEqual(value.args, ['from the container']);
  t.true(host.records().some((r) => r.msg === 'probe running' && r.plugin === 'rt-probe'), 'logs go to the logger given to the module');
});

test('Reexecer.create() with a missing plugin directory → invalid-options naming it', async (t) => {
  const error = await failure(t, Reexecer.create({ plugins: ['/nonexistent/reexecer-plugins'], logger: log.logger }));
  t.is(error.kind, 'invalid-options');
  t.regex(error.message, /\/nonexistent\/reexecer-plugins/);
});

test('without a user namespace the child stays in the host’s', async (t) => {
  const { value } = await reexecer.reexec('rt-probe');
  t.is(value.child.ns.user, readlinkSync('/proc/self/ns/user'));
  t.is(value.child.uid, process.getuid());
});
