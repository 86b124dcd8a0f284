import { createHash } from 'node:crypto';
// The manifest (reexecer.manifest.json, like oclif's): `reexecer manifest <dir>` writes it;
// loadPlugins uses a fresh one (same files, same content hashes: a touch or a copy keeps
// it fresh) without importing any plugin in the host (the child imports the one plugin it
// runs); with a stale one (a file changed, added or removed) or none it imports the
// directory, in memory: loadPlugins never writes the manifest. Each load runs in a fresh host
// process (load-host.js): the registry and the module cache are per process.
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import test from 'ava';

import { CLI, HERE, removeDir, ROOT, run, runFixture, tempDir } from '../fixtures/plugins/helpers.js';

const MANIFEST = 'reexecer.manifest.json';

/** A copy of test/fixtures/plugins/manifest in a temp dir, where `reexecer` resolves. */
function pluginDir(t) {
  const parent = tempDir('reexecer-manifest-');
  t.teardown(() => removeDir(parent));
  const dir = join(parent, 'plugins');
  cpSync(join(HERE, 'manifest'), dir, { recursive: true, preserveTimestamps: true });
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules/reexecer'));
  // A plugin with a user namespace runs as another host id (root's default map): it may
  // append to the log, not create files in this root-owned dir.
  writeFileSync(join(dir, 'imported.log'), '');
  chmodSync(join(dir, 'imported.log'), 0o666);
  return dir;
}

/** The lines of imported.log: [[id, pid], ...], then empties it. */
function takeMarks(dir) {
  const path = join(dir, 'imported.log');
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, 'utf8').trim().split('\n').filter(Boolean);
  truncateSync(path);
  return lines.map((line) => line.split(' ')).map(([id, pid]) => [id, Number(pid)]);
}

const host = (dir, options = {}) => runFixture('load-host.js', [JSON.stringify({ dir, ...options })]);
const readManifest = (dir) => JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8'));
const ids = (loaded) => loaded.map((p) => p.id).sort();

async function writeWithCli(t, dir) {
  const r = await run([process.execPath, CLI, 'manifest', dir]);
  t.is(r.code, 0, r.stderr);
  takeMarks(dir); // the CLI imported the plugins to describe them
  return r;
}

test('reexecer manifest <dir> writes reexecer.manifest.json: plugins with file, export, class and options; files with a hash of their content', async (t) => {
  const dir = pluginDir(t);
  const r = await writeWithCli(t, dir);
  t.is(r.stdout.trim(), `${join(dir, MANIFEST)}: 2 plugin(s) in 2 file(s)`);
  const manifest = readManifest(dir);
  t.is(manifest.format, 2);
  t.is(manifest.version, undefined, 'only the shipped plugins are fresh by version');
  const sha256 = (p) => createHash('sha256').update(readFileSync(join(dir, p))).digest('hex');
  t.deepEqual(manifest.files, [
    { path: 'alpha.js', sha256: sha256('alpha.js') },
    { path: 'sub/beta.js', sha256: sha256('sub/beta.js') },
  ]);
  t.deepEqual(
    [...manifest.plugins].sort((a, b) => a.id.localeCompare(b.id)),
    [
      { id: 'mf-alpha', file: 'alpha.js', exportName: 'Alpha', className: 'Alpha', options: { id: 'mf-alpha' } },
      {
        id: 'mf-beta',
        file: 'sub/beta.js',
        exportName: 'BetaPlugin',
        className: 'Beta',
        options: { id: 'mf-beta', userns: true, namespaces: ['uts'], hostname: 'beta-host', timeoutMs: 30000 },
      },
    ],
  );
  t.false(existsSync(`${join(dir, MANIFEST)}.${process.pid}.tmp`));
});

test('missing manifest: loadPlugins imports every plugin file and writes none', async (t) => {
  const dir = pluginDir(t);
  const out = await host(dir);
  t.is(out.error, undefined, JSON.stringify(out.error));
  t.deepEqual(ids(out.loaded), ['mf-alpha', 'mf-beta']);
  t.deepEqual(out.importedInHost.sort(), ['mf-alpha', 'mf-beta']);
  t.deepEqual(takeMarks(dir).sort(), [
    ['mf-alpha', out.pid],
    ['mf-beta', out.pid],
  ]);
  t.false(existsSync(join(dir, MANIFEST)));
});

test('fresh manifest: the host registers the plugins without importing any; the child imports only the one it runs', async (t) => {
  const dir = pluginDir(t);
  await writeWithCli(t, dir);
  const before = readFileSync(join(dir, MANIFEST), 'utf8');
  const mtimeBefore = statSync(join(dir, MANIFEST)).mtimeMs;
  const out = await host(dir, { run: [['mf-alpha', ['one']], ['mf-beta', []]] });
  t.is(out.error, undefined, JSON.stringify(out.error));
  t.deepEqual(ids(out.loaded), ['mf-alpha', 'mf-beta']);
  t.like(
    out.loaded.find((p) => p.id === 'mf-beta'),
    { className: 'Beta', exportName: 'BetaPlugin', options: { id: 'mf-beta', userns: true, namespaces: ['uts'], hostname: 'beta-host', timeoutMs: 30000 } },
  );
  t.deepEqual(out.importedInHost, [], 'no plugin module was imported in the host');
  const [alpha, beta] = out.values;
  t.deepEqual(alpha.args, ['one']);
  t.is(beta.hostname, 'beta-host', "the manifest's options apply: uts namespace and hostname");
  t.is(beta.uid, 0);
  const marks = takeMarks(dir);
  t.false(marks.some(([, pid]) => pid === out.pid), `the host left no mark: ${JSON.stringify(marks)}`);
  t.deepEqual(marks, [
    ['mf-alpha', alpha.pid],
    ['mf-beta', beta.pid],
  ], "each child imported its own plugin's module and no other");
  t.is(readFileSync(join(dir, MANIFEST), 'utf8'), before, 'a fresh manifest is not rewritten');
  t.is(statSync(join(dir, MANIFEST)).mtimeMs, mtimeBefore);
});

test('a touched or copied file keeps the manifest fresh (content decides): nothing is imported in the host', async (t) => {
  const dir = pluginDir(t);
  await writeWithCli(t, dir);
  const when = new Date('2021-06-07T08:09:10Z');
  utimesSync(join(dir, 'alpha.js'), when, when);
  cpSync(join(dir, 'sub/beta.js'), join(dir, 'sub/beta.copy'));
  rmSync(join(dir, 'sub/beta.js'));
  cpSync(join(dir, 'sub/beta.copy'), join(dir, 'sub/beta.js'));
  rmSync(join(dir, 'sub/beta.copy'));
  const out = await host(dir);
  t.deepEqual(ids(out.loaded), ['mf-alpha', 'mf-beta']);
  t.deepEqual(out.importedInHost, []);
  t.deepEqual(takeMarks(dir), []);
});

test('stale manifest (a file changed): the new declarations are loaded, and the manifest on disk is left as it was', async (t) => {
  const dir = pluginDir(t);
  await writeWithCli(t, dir);
  const before = readFileSync(join(dir, MANIFEST), 'utf8');
  const path = join(dir, 'alpha.js');
  writeFileSync(path, readFileSync(path, 'utf8').replace("Sandboxed({ id: 'mf-alpha' })", "Sandboxed({ id: 'mf-alpha-v2', timeoutMs: 45678 })"));
  const out = await host(dir, { run: [['mf-alpha-v2', []]] });
  t.is(out.error, undefined, JSON.stringify(out.error));
  t.deepEqual(ids(out.loaded), ['mf-alpha-v2', 'mf-beta']);
  t.deepEqual(out.importedInHost.sort(), ['mf-alpha', 'mf-beta']);
  t.is(out.values[0].plugin, 'mf-alpha');
  t.is(readFileSync(join(dir, MANIFEST), 'utf8'), before, 'loadPlugins writes no manifest');

  // reexecer manifest <dir> writes the new one, fresh from then on
  await writeWithCli(t, dir);
  t.deepEqual(readManifest(dir).plugins.find((p) => p.id === 'mf-alpha-v2').options, { id: 'mf-alpha-v2', timeoutMs: 45678 });
  const again = await host(dir);
  t.deepEqual(again.importedInHost, []);
});

test('stale manifest (a file added, a file removed): the loaded plugins follow the directory', async (t) => {
  const dir = pluginDir(t);
  await writeWithCli(t, dir);
  const before = readFileSync(join(dir, MANIFEST), 'utf8');
  writeFileSync(
    join(dir, 'sub/gamma.mjs'),
    "import { Sandboxed } from 'reexecer';\nexport class Gamma { run() { return 'gamma'; } }\nSandboxed({ id: 'mf-gamma' })(Gamma);\n",
  );
  const added = await host(dir, { run: [['mf-gamma', []]] });
  t.deepEqual(ids(added.loaded), ['mf-alpha', 'mf-beta', 'mf-gamma']);
  t.deepEqual(added.values, ['gamma']);

  rmSync(join(dir, 'sub/beta.js'));
  const removed = await host(dir);
  t.deepEqual(ids(removed.loaded), ['mf-alpha', 'mf-gamma']);
  t.is(readFileSync(join(dir, MANIFEST), 'utf8'), before, 'loadPlugins writes no manifest');
});

test("manifest: 'ignore' imports every file even with a fresh manifest", async (t) => {
  const dir = pluginDir(t);
  await writeWithCli(t, dir);
  const out = await host(dir, { manifest: 'ignore' });
  t.deepEqual(ids(out.loaded), ['mf-alpha', 'mf-beta']);
  t.deepEqual(out.importedInHost.sort(), ['mf-alpha', 'mf-beta']);
});

test('an unreadable manifest counts as missing: the directory is imported', async (t) => {
  const dir = pluginDir(t);
  writeFileSync(join(dir, MANIFEST), '{ not json');
  const out = await host(dir);
  t.is(out.error, undefined, JSON.stringify(out.error));
  t.deepEqual(ids(out.loaded), ['mf-alpha', 'mf-beta']);
  t.deepEqual(out.importedInHost.sort(), ['mf-alpha', 'mf-beta']);
});
