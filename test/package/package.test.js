// The packed tarball installed as a user would: into a fresh app, with no compiler on PATH
// and no Node headers or gcc visible (a mount namespace masks them), then an ESM host and a
// CJS host calling the README's decorated plugin (compiled by tsc as the README says), the
// CLI (list, run whoami --userns, doctor), as root and as nobody, on the Node that runs
// this suite (.ci/run runs it on every line). Nothing under node_modules/reexecer may
// change. The arm64 prebuild loads and answers under qemu with the arm64 Node from npm.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import test from 'ava';

import { ROOT, run } from '../helpers/process.js';
import { App, hashTree, isFile, tarball } from './helpers.js';

const USERS = ['root', 'nobody'];
const app = new App();
let installed; // { tgz, hashes }

test.before(async (t) => {
  t.timeout(600_000, 'npm pack (two prebuilds) and npm install');
  const tgz = await tarball();
  await app.install(tgz);
  const tsc = await app.run(['node', 'node_modules/typescript/bin/tsc', '-p', '.']);
  if (tsc.code !== 0) throw new Error(`the README's plugin package does not compile:\n${tsc.stdout}${tsc.stderr}`);
  writeFileSync(
    join(app.dir, 'esm-host.mjs'),
    "import { Reexecer, SHIPPED_PLUGINS } from 'reexecer';\nimport { pino } from 'pino';\n" +
      "const r = await Reexecer.create({ plugins: [SHIPPED_PLUGINS, 'dist'], logger: pino({ level: 'silent' }) });\n" +
      "const hello = await r.reexec('hello', { args: ['esm'] });\nconst who = await r.reexec('whoami', { userns: true });\n" +
      'console.log(JSON.stringify({ hello: hello.value, whoamiUid: who.value.uid, ids: r.list().map((p) => p.id).sort() }));\n',
  );
  writeFileSync(
    join(app.dir, 'cjs-host.cjs'),
    // require(esm) on Node >= 20.19 / 22.12; the README names import() for older 20.x.
    "const { Reexecer, SHIPPED_PLUGINS } = require('reexecer');\nconst { pino } = require('pino');\n" +
      "Reexecer.create({ plugins: [SHIPPED_PLUGINS, 'dist'], logger: pino({ level: 'silent' }) })\n" +
      "  .then((r) => r.reexec('hello', { args: ['cjs'] }))\n  .then((res) => console.log(JSON.stringify({ hello: res.value })), (e) => { console.error(e); process.exit(1); });\n",
  );
  installed = { tgz, hashes: hashTree(app.pkg) };
});

test.after('nothing under node_modules/reexecer changed', (t) => {
  t.deepEqual(hashTree(app.pkg), installed.hashes);
});

test('the tarball holds LICENSE, the prebuilds for linux-x64 and linux-arm64, no source maps and no build/', (t) => {
  const files = execFileSync('tar', ['-tzf', installed.tgz], { encoding: 'utf8' }).trim().split('\n');
  t.true(files.includes('package/LICENSE'));
  t.true(files.includes('package/prebuilds/linux-x64/reexecer.glibc.node'));
  t.true(files.includes('package/prebuilds/linux-arm64/reexecer.glibc.node'));
  t.false(files.some((f) => f.endsWith('.map')), 'no source map without its source');
  t.false(files.some((f) => f.startsWith('package/build/')));
  const pkg = JSON.parse(execFileSync('tar', ['-xzOf', installed.tgz, 'package/package.json'], { encoding: 'utf8' }));
  t.truthy(pkg.repository?.url);
  t.is(pkg.license, 'Apache-2.0');
});

test('the install compiled nothing: no build/ in the installed package, and this namespace has no compiler', async (t) => {
  t.false(readdirSync(app.pkg).includes('build'));
  const probe = await app.run(['sh', '-c', 'for c in cc c++ gcc g++ make; do command -v $c; done; /usr/bin/g++ -x c++ -fsyntax-only /dev/null && echo COMPILED; /bin/ls -A /usr/include/node 2>/dev/null | /usr/bin/wc -l']);
  t.notRegex(probe.stdout, /\/|COMPILED/);
  t.is(probe.stdout.trim(), '0');
});

for (const as of USERS) {
  test(`${as}: an ESM host runs the README's decorated plugin and a shipped one`, async (t) => {
    const r = await app.run(['node', 'esm-host.mjs'], { as });
    t.is(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    t.deepEqual(out.hello, { hello: 'esm', uid: 0 });
    t.is(out.whoamiUid, 0);
    t.deepEqual(out.ids, ['chown-tree', 'hello', 'hostname', 'unpack', 'whoami']);
  });

  test(`${as}: a CommonJS host require()s reexecer and runs the plugin`, async (t) => {
    const r = await app.run(['node', 'cjs-host.cjs'], { as });
    t.is(r.code, 0, r.stderr);
    t.deepEqual(JSON.parse(r.stdout).hello, { hello: 'cjs', uid: 0 });
  });

  test(`${as}: npx reexecer list uses the shipped manifest: it lists the shipped plugins with their files made unreadable`, async (t) => {
    const dist = join(app.pkg, 'plugins/dist');
    const modules = readdirSync(dist).filter((f) => f.endsWith('.js')).map((f) => join(dist, f));
    const r = await app.run(['npx', '--no-install', 'reexecer', 'list', '--json'], { as, hide: modules });
    t.is(r.code, 0, r.stderr);
    t.deepEqual(JSON.parse(r.stdout).map((p) => p.id).sort(), ['chown-tree', 'hostname', 'unpack', 'whoami']);
  });

  test(`${as}: npx reexecer run whoami --userns`, async (t) => {
    const r = await app.run(['npx', '--no-install', 'reexecer', 'run', 'whoami', '--userns'], { as });
    t.is(r.code, 0, r.stderr);
    t.like(JSON.parse(r.stdout), { uid: 0, gid: 0 });
  });

  test(`${as}: npx reexecer doctor loads the linux-x64 prebuild`, async (t) => {
    const r = await app.run(['npx', '--no-install', 'reexecer', 'doctor'], { as });
    t.is(r.code, 0, r.stdout + r.stderr);
    t.regex(r.stdout, /^ok {4}native addon: linux-x64: \S+\/node_modules\/reexecer\/prebuilds\/linux-x64\/reexecer\.glibc\.node$/m);
    t.regex(r.stdout, /^ok {4}sandbox probe/m);
  });
}

const TS_HOST = `import { Reexecer, SHIPPED_PLUGINS, ReexecError, type ReexecResult } from 'reexecer';
import { register } from 'reexecer/reexec';
import { newReexecer } from 'reexecer/sandbox';
export async function main(): Promise<ReexecResult<{ uid: number }>> {
  void register; void newReexecer; void ReexecError;
  const r = await Reexecer.create({ plugins: [SHIPPED_PLUGINS] });
  return r.reexec<{ uid: number }>('whoami');
}
`;

// A CommonJS TypeScript host (no "type": "module" above it) under each module setting:
// commonjs resolves the top-level types/typesVersions (skipLibCheck as tsc --init sets it:
// inversify's own types need node16+ resolution), node16 the .d.cts of the require
// condition, nodenext the ESM types.
for (const [module, extra] of [['commonjs', ['--skipLibCheck']], ['node16', []], ['nodenext', []]]) {
  test(`types resolve in a CommonJS TypeScript host with module ${module}`, async (t) => {
    const dir = join(app.dir, `ts-${module}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), '{ "name": "host", "private": true }\n');
    writeFileSync(join(dir, 'host.ts'), TS_HOST);
    const r = await app.run(['node', 'node_modules/typescript/bin/tsc', '--noEmit', '--strict', '--types', 'node', '--target', 'es2022', '--module', module, ...extra, join(dir, 'host.ts')]);
    t.is(r.code, 0, r.stdout + r.stderr);
  });
}

test('npx reexecer --version prints the packed version', async (t) => {
  const r = await app.run(['npx', '--no-install', 'reexecer', '--version']);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout.trim(), JSON.parse(execFileSync('tar', ['-xzOf', installed.tgz, 'package/package.json'], { encoding: 'utf8' })).version);
});

test('linux-arm64: the installed package loads its arm64 prebuild and answers a call under qemu-aarch64-static', async (t) => {
  const arm64 = execFileSync('bash', [join(ROOT, 'scripts/node-dist.sh'), '26', 'arm64'], { encoding: 'utf8' }).trim();
  const code =
    "const { capEff } = require('reexecer'); const root = require('node:path').dirname(require.resolve('reexecer/package.json'));" +
    "console.log(JSON.stringify({ arch: process.arch, path: require('node-gyp-build').resolve(root), capEff: typeof capEff() }));";
  const r = await run(['qemu-aarch64-static', '-L', '/usr/aarch64-linux-gnu', join(arm64, 'bin/node'), '-e', code], { cwd: app.dir });
  t.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  t.is(out.arch, 'arm64');
  t.regex(out.path, /prebuilds\/linux-arm64\/reexecer\.glibc\.node$/);
  t.is(out.capEff, 'bigint', 'the addon answered');
  t.true(isFile(out.path));
});
