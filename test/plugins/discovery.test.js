// loadPlugins(dir) walks the directory recursively, skipping node_modules, dotfiles and
// test files, imports .js/.mjs/.cjs modules and registers every @Sandboxed class with its
// id, options, file and export. test/fixtures/plugins/tree, copied to a temp dir with a
// `*.test.js` file added (ava would take one in the repository for a test of its own):
// every file that must be skipped would register a "skip-*" id and leave a mark in
// globalThis.__reexecerImported.
import { cpSync, mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

import test from 'ava';

import { loadPlugins, Reexecer, ReexecError } from 'reexecer';
import { lookup } from '../../dist/sandbox/registry.js';

import { captureLogger, HERE, removeDir, ROOT, tempDir } from '../fixtures/plugins/helpers.js';

const parent = tempDir('reexecer-tree-');
const TREE = join(parent, 'tree');
cpSync(join(HERE, 'tree'), TREE, { recursive: true });
symlinkSync(ROOT, join(TREE, 'node_modules/reexecer')); // `reexecer` resolves from the copy
// tree/plugin.ts (not valid TypeScript) is for the refusal below: this host has no loader.
renameSync(join(TREE, 'plugin.ts'), join(parent, 'plugin.ts'));
mkdirSync(join(TREE, 'tests'));
writeFileSync(
  join(TREE, 'tests/thing.test.js'),
  "import { Sandboxed } from 'reexecer';\n(globalThis.__reexecerImported ??= []).push(import.meta.url);\nexport class T { run() {} }\nSandboxed({ id: 'skip-test-file' })(T);\n",
);
const url = (path) => pathToFileURL(join(TREE, path)).href;
const loaded = await loadPlugins([TREE], { manifest: 'ignore' });
const byId = Object.fromEntries(loaded.map((p) => [p.id, p]));
const imported = () => globalThis.__reexecerImported ?? [];
test.after.always(() => removeDir(parent));

const SKIPPED = {
  'node_modules/some-pkg/index.js': 'skip-node-modules',
  '.hidden.js': 'skip-dotfile',
  '.hidden-dir/inside.js': 'skip-dotdir',
  '__tests__/helper.js': 'skip-tests-dir',
  'tests/thing.test.js': 'skip-test-file',
  'sub/thing.test.mjs': 'skip-test-mjs',
  'sub/thing.spec.js': 'skip-spec',
};

test('every decorated class of the tree is found, nested directories and .mjs/.cjs included', (t) => {
  t.deepEqual(Object.keys(byId).sort(), ['tree-cjs', 'tree-nested', 'tree-top', 'tree-two-a', 'tree-two-b', 'tree-unexported']);
});

test('each plugin is registered with its options, module file, class and export name', (t) => {
  t.deepEqual(byId['tree-top'], { id: 'tree-top', options: { id: 'tree-top' }, module: url('top.js'), className: 'Top', exportName: 'Top' });
  t.deepEqual(byId['tree-nested'], { id: 'tree-nested', options: { id: 'tree-nested' }, module: url('sub/deeper/nested.js'), className: 'Nested', exportName: 'Nested' });
  t.like(byId['tree-two-a'], { module: url('sub/two.mjs'), className: 'TwoA', exportName: 'TwoA', options: { id: 'tree-two-a', userns: true } });
  t.like(byId['tree-two-b'], { module: url('sub/two.mjs'), className: 'TwoB', exportName: 'RenamedTwoB' });
  t.deepEqual(byId['tree-two-b'].options, { id: 'tree-two-b', namespaces: ['uts'], userns: true, hostname: 'two-b' });
  t.like(byId['tree-unexported'], { module: url('sub/two.mjs'), className: 'Unexported', exportName: undefined });
  t.like(byId['tree-cjs'], { module: url('sub/deeper/legacy.cjs'), className: 'Legacy', exportName: 'Legacy' });
  for (const p of loaded) t.is(lookup(p.id)?.module, p.module, `${p.id} registered for the sandbox, from its own file`);
});

test('node_modules, dotfiles, dot directories, __tests__ and test files are not imported', (t) => {
  for (const [path, id] of Object.entries(SKIPPED)) {
    t.false(imported().includes(url(path)), `${path} was imported`);
    t.is(lookup(id), undefined, `${id} is registered`);
  }
});

test('modules without a decorated class are imported and ignored; .d.ts files are not candidates', (t) => {
  t.true(imported().includes(url('no-plugin.js')));
  t.true(imported().includes(url('sub/deeper/plain.cjs')));
  t.false(loaded.some((p) => p.module.endsWith('.ts')));
});

test('a .ts file where Node cannot import it: the directory is refused with what to do, not skipped', async (t) => {
  // Node 20 has no type stripping; 22.18+ strips types but cannot run this file either.
  const dir = join(tempDir('reexecer-tree-ts-'), 'plugins');
  t.teardown(() => removeDir(dirname(dir)));
  mkdirSync(dir);
  cpSync(join(parent, 'plugin.ts'), join(dir, 'plugin.ts'));
  const error = await t.throwsAsync(loadPlugins([dir], { manifest: 'ignore' }), { instanceOf: ReexecError });
  t.is(error.kind, 'invalid-options');
  t.regex(error.message, /plugin\.ts/);
  t.regex(error.hint, /tsx/);
  t.regex(error.hint, /tsc/);
});

test('files are imported in a stable, sorted order', (t) => {
  const order = imported().map((u) => u.slice(url('').length + 1));
  t.deepEqual(order, ['no-plugin.js', 'sub/deeper/legacy.cjs', 'sub/deeper/nested.js', 'sub/deeper/plain.cjs', 'sub/two.mjs', 'top.js']);
});

test('loading the same directory again returns the same plugins without a duplicate error', async (t) => {
  const again = await loadPlugins(TREE, { manifest: 'ignore' });
  t.deepEqual(
    again.map((p) => p.id).sort(),
    loaded.map((p) => p.id).sort(),
  );
});

test('a plugin found in a nested directory, in a .mjs with several plugins and in a .cjs runs in the child', async (t) => {
  const log = captureLogger('warn');
  const reexecer = await Reexecer.create({ plugins: [TREE], logger: log.logger });
  const [nested, top, twoB, cjs, unexported] = await Promise.all([
    reexecer.reexec('tree-nested'),
    reexecer.reexec('tree-top', { args: ['x'] }),
    reexecer.reexec('tree-two-b'),
    reexecer.reexec('tree-cjs'),
    reexecer.reexec('tree-unexported'),
  ]);
  t.deepEqual(nested.value, { from: 'tree/sub/deeper/nested.js' });
  t.deepEqual(top.value, { from: 'tree/top.js', args: ['x'] });
  t.is(twoB.value, 'two-b');
  t.deepEqual(cjs.value, { from: 'tree/sub/deeper/legacy.cjs' });
  t.is(unexported.value, 'unexported');
});

test('a directory that does not exist, or a file → invalid-options naming it', async (t) => {
  for (const dir of [join(TREE, 'missing'), join(TREE, 'top.js')]) {
    const error = await t.throwsAsync(loadPlugins([dir]));
    t.true(error instanceof ReexecError);
    t.is(error.kind, 'invalid-options');
    t.true(error.message.includes(dir), error.message);
  }
});
