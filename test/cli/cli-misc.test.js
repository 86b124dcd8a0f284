// The reexecer CLI as a real child process: list (table and --json), doctor (text and
// --json), manifest <dir>, --help for every command, and the bad-argument paths (usage on
// stderr, exit 2).
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

import test from 'ava';

import { cli, CLI_PLUGINS, json, removeDir, ROOT, SHIPPED, tempDir } from '../fixtures/cli/helpers.js';

const SHIPPED_IDS = ['chown-tree', 'hostname', 'unpack', 'whoami'];
const COMMANDS = ['list', 'run', 'doctor', 'manifest'];

test('no command → the usage, exit 2', async (t) => {
  const r = await cli([]);
  t.is(r.code, 2);
  t.regex(r.stdout + r.stderr, /Usage: reexecer <command>/);
});

for (const flag of ['--help', '-h', 'help']) {
  test(`reexecer ${flag} → the usage with every command, exit 0`, async (t) => {
    const r = await cli([flag]);
    t.is(r.code, 0, r.stderr);
    t.regex(r.stdout, /^Usage: reexecer <command>/);
    for (const command of COMMANDS) t.regex(r.stdout, new RegExp(`^ {2}${command} `, 'm'));
  });
}

test('an unknown command → exit 2 naming it, with the usage', async (t) => {
  const r = await cli(['frobnicate']);
  t.is(r.code, 2);
  t.regex(r.stderr, /unknown command "frobnicate"/);
  t.regex(r.stderr, /Usage: reexecer <command>/);
});

for (const command of COMMANDS)
  for (const flag of ['--help', '-h']) {
    test(`reexecer ${command} ${flag} → its usage on stdout, exit 0`, async (t) => {
      const r = await cli([command, flag]);
      t.is(r.code, 0, r.stderr);
      t.regex(r.stdout, new RegExp(`^Usage: reexecer ${command}\\b`));
      t.is(r.stderr, '');
    });
  }

test('list: one line per shipped plugin with its class, options, containment and file', async (t) => {
  const r = await cli(['list']);
  t.is(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  t.is(lines.length, SHIPPED_IDS.length);
  const byId = Object.fromEntries(lines.map((line) => [line.split(/\s+/)[0], line]));
  t.deepEqual(Object.keys(byId).sort(), SHIPPED_IDS);
  t.regex(byId.unpack, /^unpack\s+Unpack\s+\{"chroot":true,"userns":true\}\s+seccomp:on landlock:scoped limits:none\s+\S*\/plugins\/dist\/unpack\.js$/);
  t.regex(byId.hostname, /^hostname\s+Hostname\s+\{"userns":true,"namespaces":\["uts"\]\}/);
  t.regex(byId.whoami, /^whoami\s+Whoami\s+\{\}/);
  t.regex(byId['chown-tree'], /^chown-tree\s+ChownTree\s+\{"chroot":true,"userns":true\}/);
});

test('list --json: every shipped plugin with id, options, module, class and export', async (t) => {
  const r = await cli(['list', '--json']);
  t.is(r.code, 0, r.stderr);
  const list = json(t, r);
  t.deepEqual(list.map((p) => p.id).sort(), SHIPPED_IDS);
  const unpack = list.find((p) => p.id === 'unpack');
  t.deepEqual(unpack, {
    id: 'unpack',
    options: { id: 'unpack', chroot: true, userns: true },
    module: `file://${join(SHIPPED, 'unpack.js')}`,
    className: 'Unpack',
    exportName: 'Unpack',
    containment: { seccomp: true, landlock: 'scoped', limits: {} },
  });
});

test('list --plugins DIR lists that directory’s plugins instead', async (t) => {
  const r = await cli(['list', '--json', '--plugins', CLI_PLUGINS]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(
    json(t, r)
      .map((p) => p.id)
      .sort(),
    ['cli-fails', 'cli-probe'],
  );
});

test('list --plugins DIR (repeated) lists both', async (t) => {
  const r = await cli(['list', '--json', '--plugins', CLI_PLUGINS, '--plugins', SHIPPED]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(
    json(t, r)
      .map((p) => p.id)
      .sort(),
    ['chown-tree', 'cli-fails', 'cli-probe', 'hostname', 'unpack', 'whoami'],
  );
});

test('list --plugins with a missing directory → exit 1 naming it', async (t) => {
  const r = await cli(['list', '--plugins', '/nonexistent/reexecer-plugins']);
  t.is(r.code, 1);
  t.regex(r.stderr, /\/nonexistent\/reexecer-plugins/);
});

for (const [command, args] of [
  ['list', ['list', '--bogus']],
  ['list', ['list', '--plugins']],
  ['doctor', ['doctor', '--bogus']],
  ['manifest', ['manifest', '--bogus', '/tmp']],
]) {
  test(`${args.join(' ')} → exit 2 with the usage of ${command}`, async (t) => {
    const r = await cli(args);
    t.is(r.code, 2);
    t.regex(r.stderr, new RegExp(`Usage: reexecer ${command}\\b`));
  });
}

const CHECKS = ['Node.js', 'native addon', 'user.max_user_namespaces', 'seccomp', 'sandbox probe (user+mount+uts namespaces)', 'newuidmap', 'newgidmap', '/etc/subuid', '/etc/subgid'];

test('doctor: every check on a line of its own, exit 0 on this machine', async (t) => {
  const r = await cli(['doctor']);
  t.is(r.code, 0, r.stdout + r.stderr);
  for (const name of CHECKS) t.regex(r.stdout, new RegExp(`^(ok {2}|warn|FAIL) {2}${name.replace(/[.+()/]/g, '\\$&')}: `, 'm'), name);
  t.regex(r.stdout, new RegExp(`^ok {4}Node\\.js: ${process.version.replace(/\./g, '\\.')}$`, 'm'));
  t.regex(r.stdout, /^ok {4}native addon: linux-x64: \/\S+\/reexecer(\.glibc)?\.node$/m);
  t.regex(r.stdout, /^ok {4}sandbox probe \(user\+mount\+uts namespaces\): /m);
  t.regex(r.stdout, /^ok {4}newuidmap: \S+\/newuidmap, setuid root$/m);
  t.notRegex(r.stdout, /^FAIL/m);
});

test('doctor --json: the checks as JSON, a fix for each one that is not ok', async (t) => {
  const r = await cli(['doctor', '--json']);
  t.is(r.code, 0, r.stderr);
  const checks = json(t, r);
  t.deepEqual(
    CHECKS.filter((name) => !checks.some((c) => c.name === name)),
    [],
    'every check is there',
  );
  for (const c of checks) {
    t.true(['ok', 'warn', 'fail'].includes(c.status), c.name);
    t.is(typeof c.detail, 'string');
    if (c.status !== 'ok') t.is(typeof c.fix, 'string', `${c.name} says how to fix it`);
  }
  t.false(checks.some((c) => c.status === 'fail'));
  // root has no /etc/subuid range here: a warning with the usermod fix
  t.like(checks.find((c) => c.name === '/etc/subuid'), { status: 'warn' });
  t.regex(checks.find((c) => c.name === '/etc/subuid').fix, /usermod --add-subuids/);
});

test('doctor as the CI user: its /etc/subuid and /etc/subgid ranges are found', async (t) => {
  const r = await cli(['doctor', '--json'], { as: 'ci' });
  t.is(r.code, 0, r.stdout + r.stderr);
  const checks = json(t, r);
  t.like(checks.find((c) => c.name === '/etc/subuid'), { status: 'ok', detail: '200000+65536' });
  t.like(checks.find((c) => c.name === '/etc/subgid'), { status: 'ok', detail: '200000+65536' });
  t.like(checks.find((c) => c.name === 'sandbox probe (user+mount+uts namespaces)'), { status: 'ok' });
});

test('manifest <dir> writes reexecer.manifest.json and says what it found', async (t) => {
  const parent = tempDir('reexecer-cli-manifest-');
  t.teardown(() => removeDir(parent));
  const dir = join(parent, 'plugins');
  cpSync(CLI_PLUGINS, dir, { recursive: true });
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules/reexecer'));
  const r = await cli(['manifest', dir]);
  t.is(r.code, 0, r.stderr);
  const path = join(dir, 'reexecer.manifest.json');
  t.is(r.stdout, `${path}: 2 plugin(s) in 1 file(s)\n`);
  const manifest = JSON.parse(readFileSync(path, 'utf8'));
  t.deepEqual(manifest.plugins.map((p) => [p.id, p.file, p.className]).sort(), [
    ['cli-fails', 'probe.js', 'CliFails'],
    ['cli-probe', 'probe.js', 'CliProbe'],
  ]);
  t.deepEqual(manifest.files.map((f) => f.path), ['probe.js']);
  // `list` on that directory now reads the manifest
  const listed = await cli(['list', '--json', '--plugins', dir]);
  t.deepEqual(
    json(t, listed)
      .map((p) => p.id)
      .sort(),
    ['cli-fails', 'cli-probe'],
  );
});

test('manifest without a directory → exit 2 with the usage', async (t) => {
  const r = await cli(['manifest']);
  t.is(r.code, 2);
  t.regex(r.stderr, /give exactly one plugin directory/);
  t.regex(r.stderr, /Usage: reexecer manifest <dir>/);
});

test('manifest with two directories → exit 2', async (t) => {
  const r = await cli(['manifest', CLI_PLUGINS, SHIPPED]);
  t.is(r.code, 2);
  t.regex(r.stderr, /Usage: reexecer manifest <dir>/);
});

test('manifest with a directory that does not exist → exit 1 naming it, no manifest written', async (t) => {
  const r = await cli(['manifest', '/nonexistent/reexecer-manifest-dir']);
  t.is(r.code, 1);
  t.regex(r.stderr, /\/nonexistent\/reexecer-manifest-dir/);
  t.false(existsSync('/nonexistent/reexecer-manifest-dir/reexecer.manifest.json'));
});

// src/cli/manifest.ts lists the directory without the check loadPlugins makes (checkDir in
// src/plugins/load-plugins.ts): a missing directory or a file ends in the generic handler
// of main.ts, "reexecer: Error: ENOENT: ... scandir" with a stack trace, not a message.
test('manifest with a directory that does not exist → a message, not a stack trace', async (t) => {
  const r = await cli(['manifest', '/nonexistent/reexecer-manifest-dir']);
  t.is(r.code, 1);
  t.notRegex(r.stderr, /\n\s+at /);
});

test('reexecer --version (and -V) prints the package version, exit 0', async (t) => {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  for (const flag of ['--version', '-V']) {
    const r = await cli([flag]);
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout, `${version}\n`);
  }
});
