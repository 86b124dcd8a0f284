// The addon is loaded lazily through node-gyp-build: a copy of the package with no addon
// (installed with --ignore-scripts, say) still imports, and only a call that needs the addon
// fails, with kind addon-unavailable and a hint to rebuild; a binary for another
// architecture fails the same way; doctor reports both. Errno names come from Node.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import test from 'ava';

import { tempDir } from '../helpers/fs.js';
import { ROOT, run } from '../helpers/process.js';

/** A copy of the built package under <app>/node_modules/reexecer, with no addon in it. */
function packageWithoutAddon(t) {
  const app = tempDir(t, 'reexecer-noaddon-', 0o755);
  const pkg = join(app, 'node_modules', 'reexecer');
  mkdirSync(pkg, { recursive: true });
  for (const entry of ['dist', 'package.json']) cpSync(join(ROOT, entry), join(pkg, entry), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'));
  return { app, pkg };
}

const PROBE = `
const out = {};
const reexecer = await import('reexecer');
out.exports = Object.keys(reexecer).length;
out.reexec = typeof (await import('reexecer/reexec')).register;
try { reexecer.capEff(); } catch (e) { out.error = { name: e.name, kind: e.kind, message: e.message, hint: e.hint, brand: e instanceof reexecer.ReexecError }; }
console.log(JSON.stringify(out));
`;

async function probe(app) {
  const r = await run([process.execPath, '--input-type=module', '-e', PROBE], { cwd: app });
  if (r.code !== 0) throw new Error(`probe exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

test('no addon: import works, the first call that needs it fails with addon-unavailable and says npm rebuild reexecer', async (t) => {
  const { app } = packageWithoutAddon(t);
  const out = await probe(app);
  t.true(out.exports > 10);
  t.is(out.reexec, 'function');
  t.is(out.error?.kind, 'addon-unavailable');
  t.true(out.error.brand);
  t.regex(out.error.message, /cannot be loaded for linux-x64/);
  t.regex(out.error.hint, /npm rebuild reexecer/);

  const doctor = await run([process.execPath, join(app, 'node_modules/reexecer/dist/cli/main.js'), 'doctor'], { cwd: app });
  t.is(doctor.code, 1);
  t.regex(doctor.stdout, /FAIL {2}native addon: the reexecer native addon cannot be loaded/);
  t.regex(doctor.stdout, /fix: Rebuild it for this machine: npm rebuild reexecer/);
});

test('an addon built for another architecture: addon-unavailable naming the loader error, doctor FAIL', async (t) => {
  const { app, pkg } = packageWithoutAddon(t);
  const release = join(pkg, 'build', 'Release');
  mkdirSync(release, { recursive: true });
  const source = join(app, 'empty.c');
  writeFileSync(source, 'int reexecer_nothing;\n');
  // A real aarch64 shared object, from the cross toolchain the prebuilds are made with.
  execFileSync('aarch64-linux-gnu-gcc', ['-shared', '-fPIC', '-o', join(release, 'reexecer.node'), source]);
  const out = await probe(app);
  t.is(out.error?.kind, 'addon-unavailable');
  t.regex(out.error.message, /reexecer\.node/);
  t.regex(out.error.hint, /npm rebuild reexecer/);

  const doctor = await run([process.execPath, join(pkg, 'dist/cli/main.js'), 'doctor', '--json'], { cwd: app });
  const check = JSON.parse(doctor.stdout).find((c) => c.name === 'native addon');
  t.is(check.status, 'fail');
  t.regex(check.fix, /npm rebuild reexecer/);
});

test('with the addon: doctor names the binary it loaded; a syscall error carries the errno name from Node', async (t) => {
  const doctor = await run([process.execPath, join(ROOT, 'dist/cli/main.js'), 'doctor', '--json']);
  const check = JSON.parse(doctor.stdout).find((c) => c.name === 'native addon');
  t.is(check.status, 'ok');
  t.regex(check.detail, /^linux-x64: .*\.node$/);

  const { addon } = await import('../../dist/native/addon.js');
  const error = t.throws(() => addon.sendFds(987654, [1])); // an fd number nothing holds
  t.is(error.code, 'EBADF');
  t.is(error.errno, 9);
  t.is(error.step, 'sendmsg');
  t.is(error.message, 'sendmsg failed: EBADF (bad file descriptor)');
});

test('the addon binds every symbol at load (BIND_NOW): no lazy binding runs in a child that shares the host memory', (t) => {
  const dynamic = execFileSync('readelf', ['-d', join(ROOT, 'build/Release/reexecer.node')], { encoding: 'utf8' });
  t.regex(dynamic, /\(FLAGS\)\s+BIND_NOW/);
});
