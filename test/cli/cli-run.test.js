// `reexecer run <id>` as a real child process: the value as JSON on stdout, the child's logs
// readable on stderr, --chroot/--file/--userns/--subids/--map-uid/--map-gid/--ns/--timeout,
// failures exit 1, bad arguments print the usage and exit 2.
import { chownSync, mkdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import test from 'ava';
import { ROOT_DEFAULT_HOST_ID } from 'reexecer/native';

import { ustar } from '../fixtures/plugins/layers.js';
import { giveToDefaultRoot } from '../helpers/fs.js';
import { ciUser, cli, CLI_PLUGINS, json, removeDir, ROOT, tempDir } from '../fixtures/cli/helpers.js';

const P = ['--plugins', CLI_PLUGINS];
const HOST_NS = Object.fromEntries(['user', 'uts', 'ipc', 'net', 'pid', 'mnt'].map((ns) => [ns, readlinkSync(`/proc/self/ns/${ns}`)]));
const mapLines = (text) => text.trim().split('\n').map((line) => line.trim().split(/\s+/).map(Number));

function dir(t) {
  const d = tempDir('reexecer-cli-');
  t.teardown(() => removeDir(d));
  return d;
}

test('run whoami --userns: the value as JSON on stdout, nothing else there', async (t) => {
  const r = await cli(['run', 'whoami', '--userns']);
  t.is(r.code, 0, r.stderr);
  const value = json(t, r);
  t.is(value.uid, 0);
  t.is(value.gid, 0);
  t.not(value.userns, HOST_NS.user);
  t.is(value.cwd, ROOT);
  t.is(r.stdout, `${JSON.stringify(value, null, 2)}\n`);
});

test('run whoami --log-level debug: the child’s log lines are readable on stderr, not on stdout', async (t) => {
  const r = await cli(['run', 'whoami', '--log-level', 'debug']);
  t.is(r.code, 0, r.stderr);
  json(t, r);
  t.regex(r.stderr, /^\d\d:\d\d:\d\d\.\d{3} DEBUG \[whoami\] whoami \{/m);
  t.notRegex(r.stderr, /^\{"level"/m, 'no raw pino JSON');
});

test('run whoami --userns --chroot DIR: cwd / and the dir’s entries at /', async (t) => {
  const root = join(dir(t), 'root');
  mkdirSync(join(root, 'sub'), { recursive: true });
  writeFileSync(join(root, 'file'), '');
  const r = await cli(['run', 'whoami', '--userns', '--chroot', root]);
  t.is(r.code, 0, r.stderr);
  const value = json(t, r);
  t.is(value.cwd, '/');
  t.deepEqual(value.root, ['file', 'sub']);
  t.is(value.userns, null);
});

test('run with --file (repeated) and args after --: the plugin gets both; its logs and stdout go to stderr', async (t) => {
  const d = dir(t);
  writeFileSync(join(d, 'one'), 'one\n');
  writeFileSync(join(d, 'two'), 'two ✓');
  const r = await cli(['run', 'cli-probe', ...P, '--file', join(d, 'one'), '--file', join(d, 'two'), '--', 'a', 'b c', '--not-a-flag']);
  t.is(r.code, 0, r.stderr);
  const value = json(t, r);
  t.deepEqual(value.args, ['a', 'b c', '--not-a-flag']);
  t.deepEqual(value.files, [
    { path: join(d, 'one'), content: 'one\n' },
    { path: join(d, 'two'), content: 'two ✓' },
  ]);
  t.regex(r.stderr, / INFO {2}\[cli-probe\] cli probe ran \{"n":3\}/);
  t.regex(r.stderr, /a line on the plugin’s stdout/);
  t.notRegex(r.stdout, /plugin’s stdout/);
});

test('run prints Buffers, Maps, Sets and bigints as JSON', async (t) => {
  const r = await cli(['run', 'cli-probe', ...P]);
  t.is(r.code, 0, r.stderr);
  const value = json(t, r);
  t.deepEqual(value.buffer, { type: 'Buffer', base64: Buffer.from('hi').toString('base64') });
  t.deepEqual(value.map, { k: 1 });
  t.deepEqual(value.set, [1, 2]);
  t.is(value.big, '12345678901234567890');
  t.is(value.stdin, null);
});

test('run passes its stdin to the plugin', async (t) => {
  const r = await cli(['run', 'cli-probe', ...P, '--', 'read-stdin'], { input: 'from the pipe\n' });
  t.is(r.code, 0, r.stderr);
  t.is(json(t, r).stdin, 'from the pipe\n');
});

test('run --map-uid/--map-gid (repeatable): the child’s maps are exactly those', async (t) => {
  const r = await cli(['run', 'cli-probe', ...P, '--map-uid', '0:100000:1000', '--map-uid', '1000:300000:10', '--map-gid', '0:100000:65536']);
  t.is(r.code, 0, r.stderr);
  const value = json(t, r);
  t.deepEqual(mapLines(value.uidMap), [
    [0, 100000, 1000],
    [1000, 300000, 10],
  ]);
  t.deepEqual(mapLines(value.gidMap), [[0, 100000, 65536]]);
  t.is(value.uid, 0);
  t.not(value.ns.user, HOST_NS.user);
});

test('run --ns (repeatable) adds namespaces', async (t) => {
  const r = await cli(['run', 'cli-probe', ...P, '--userns', '--ns', 'uts', '--ns', 'ipc', '--ns', 'net']);
  t.is(r.code, 0, r.stderr);
  const { ns } = json(t, r);
  for (const name of ['user', 'uts', 'ipc', 'net']) t.not(ns[name], HOST_NS[name], name);
  for (const name of ['pid', 'mnt']) t.is(ns[name], HOST_NS[name], name);
});

test('run hostname -- NAME: a new UTS namespace with that name', async (t) => {
  const r = await cli(['run', 'hostname', '--', 'from-the-cli']);
  t.is(r.code, 0, r.stderr);
  t.is(json(t, r).after, 'from-the-cli');
});

test('nobody: run whoami --userns → uid 0 with every capability', async (t) => {
  const r = await cli(['run', 'whoami', '--userns'], { as: 'nobody' });
  t.is(r.code, 0, r.stderr);
  const value = json(t, r);
  t.is(value.uid, 0);
  t.not(value.capEff, '0000000000000000');
});

test('CI user: run --subids: own id to 0 and the /etc/subuid range from 1', async (t) => {
  const r = await cli(['run', 'cli-probe', ...P, '--subids'], { as: 'ci' });
  t.is(r.code, 0, r.stderr);
  const value = json(t, r);
  t.deepEqual(mapLines(value.uidMap), [
    [0, ciUser().uid, 1],
    [1, 200000, 65536],
  ]);
});

test('run unpack --chroot DIR --file LAYER: the layer is unpacked, the result printed', async (t) => {
  const d = dir(t);
  const layer = join(d, 'layer.tar');
  writeFileSync(layer, ustar([{ name: 'etc/', type: 'dir' }, { name: 'etc/hello', type: 'file', data: 'hello\n' }]));
  const root = join(d, 'root');
  mkdirSync(root);
  giveToDefaultRoot(root); // as GrootFS does: the layer dir belongs to the namespace's root
  const r = await cli(['run', 'unpack', '--chroot', root, '--file', layer]);
  t.is(r.code, 0, r.stderr);
  t.like(json(t, r), { entries: 2, bytesWritten: 6, warnings: 0, warningList: [] });
  t.regex(r.stderr, /\[unpack\] layer unpacked/);
  t.is(statSync(join(root, 'etc/hello')).uid, ROOT_DEFAULT_HOST_ID, "root's default map: the files belong to the block, not to host root");
});

test('root: run unpack into a directory the default map cannot write → exit 1 with EACCES and what to do', async (t) => {
  const d = dir(t);
  const layer = join(d, 'layer.tar');
  writeFileSync(layer, ustar([{ name: 'etc/', type: 'dir' }]));
  const root = join(d, 'root');
  mkdirSync(root, { mode: 0o755 }); // host root's: namespace root is host 2146435072 and may only read it
  const r = await cli(['run', 'unpack', '--chroot', root, '--file', layer]);
  t.is(r.code, 1);
  t.regex(r.stderr, /cannot apply "etc\/": mkdir failed: EACCES\n.*host root by default 2146435072.*give that id the directory \(chown\)/);
});

test('run unpack: an entry that cannot be applied → exit 1 naming it and the errno; -- --lenient goes on', async (t) => {
  const d = dir(t);
  const layer = join(d, 'layer.tar');
  // The default map has 65536 ids: none for uid 70000.
  writeFileSync(layer, ustar([{ name: 'a', type: 'file', data: 'a' }, { name: 'www', type: 'file', data: 'x', uid: 70000, gid: 70000 }]));
  const root = join(d, 'root');
  mkdirSync(root);
  giveToDefaultRoot(root);
  const r = await cli(['run', 'unpack', '--chroot', root, '--file', layer]);
  t.is(r.code, 1);
  t.regex(r.stderr, /cannot apply "www": fchown failed: EINVAL/);
  t.is(r.stdout, '');
  const root2 = join(d, 'root2');
  mkdirSync(root2);
  giveToDefaultRoot(root2);
  const lenient = await cli(['run', 'unpack', '--chroot', root2, '--file', layer, '--', '--lenient']);
  t.is(lenient.code, 0, lenient.stderr);
  t.like(json(t, lenient), { entries: 2, warnings: 1, warningList: [{ path: 'www', op: 'fchown', code: 'EINVAL' }] });
});

// BUG (src/plugins/call-spec.ts toRunSpec): unpack declares userns: true, and the call's
// maps are dropped for such classes, so --map-uid/--map-gid change nothing: the layer is
// unpacked with root's self map (0 → 0), files of uid 33 fail to chown (warnings) and
// the tree stays owned by host root instead of 100000+.
test('run unpack --map-uid/--map-gid: the maps apply to a plugin that declares userns: true', async (t) => {
  const d = dir(t);
  const layer = join(d, 'layer.tar');
  writeFileSync(layer, ustar([{ name: 'www', type: 'file', data: 'x', uid: 33, gid: 33 }]));
  const root = join(d, 'root');
  mkdirSync(root);
  chownSync(root, 100000, 100000);
  const r = await cli(['run', 'unpack', '--chroot', root, '--file', layer, '--map-uid', '0:100000:65536', '--map-gid', '0:100000:65536']);
  t.is(r.code, 0, r.stderr);
  t.like(json(t, r), { entries: 1, bytesWritten: 1, warnings: 0 });
});

test('run unknown-id → exit 1, "unregistered command: unknown-id" on stderr', async (t) => {
  const r = await cli(['run', 'unknown-id']);
  t.is(r.code, 1);
  t.regex(r.stderr, /unregistered command: unknown-id/);
  t.is(r.stdout, '');
});

test('a plugin that throws → exit 1 with its message on stderr', async (t) => {
  const r = await cli(['run', 'cli-fails', ...P]);
  t.is(r.code, 1);
  t.regex(r.stderr, /the cli-fails plugin failed on purpose/);
  t.is(r.stdout, '');
});

test('run with a chroot dir that does not exist → exit 1 naming it', async (t) => {
  const r = await cli(['run', 'whoami', '--userns', '--chroot', '/nonexistent/reexecer-cli']);
  t.is(r.code, 1);
  t.regex(r.stderr, /\/nonexistent\/reexecer-cli: no such file or directory/);
});

test('run with a file that does not exist → exit 1 naming it', async (t) => {
  const r = await cli(['run', 'cli-probe', ...P, '--file', '/nonexistent/reexecer-file']);
  t.is(r.code, 1);
  t.regex(r.stderr, /\/nonexistent\/reexecer-file/);
});

test('run --timeout: a plugin that outlives it → exit 1, timed out', async (t) => {
  // a node child needs tens of ms to start: with 1 ms it is killed before it can report
  const r = await cli(['run', 'cli-probe', ...P, '--timeout', '1']);
  t.is(r.code, 1, r.stdout);
  t.regex(r.stderr, /timed out after 1 ms/);
});

const BAD = [
  ['an unknown flag', ['run', 'whoami', '--bogus'], /Unknown option '--bogus'/],
  ['a malformed --map-uid', ['run', 'whoami', '--map-uid', '1:2', '--map-gid', '0:0:1'], /--map-uid\[0\] must be NS:HOST:SIZE, e\.g\. 0:100000:65536, got "1:2"/],
  ['a --map-uid that is not numeric', ['run', 'whoami', '--map-uid', 'a:b:c', '--map-gid', '0:0:1'], /--map-uid\[0\] must be NS:HOST:SIZE/],
  ['--map-uid without --map-gid', ['run', 'whoami', '--map-uid', '0:100000:65536'], /--map-uid and --map-gid together/],
  ['--map-gid without --map-uid', ['run', 'whoami', '--map-gid', '0:100000:65536'], /--map-uid and --map-gid together/],
  ['a missing id', ['run'], /give the id of the plugin/],
  ['a missing id with flags only', ['run', '--userns'], /give the id of the plugin/],
  ['--userns with --subids', ['run', 'whoami', '--userns', '--subids'], /choose one/],
  ['--ns user', ['run', 'whoami', '--ns', 'user'], /--ns\[0\] must be one of "uts", "ipc", "net", "pid", "mount", got "user"/],
  ['an unknown --ns', ['run', 'whoami', '--ns', 'bogus'], /--ns\[0\] must be one of .*, got "bogus"/],
  ['--timeout 0', ['run', 'whoami', '--timeout', '0'], /--timeout/],
  ['--timeout abc', ['run', 'whoami', '--timeout', 'abc'], /--timeout/],
  ['an unknown --log-level', ['run', 'whoami', '--log-level', 'loud'], /--log-level must be one of .*, got "loud"/],
  ['--chroot without a value', ['run', 'whoami', '--chroot'], /--chroot/],
];

// BUG (src/cli/run.ts, the --ns check uses the native NAMESPACES list, which holds cgroup
// (and any other the addon can create), instead of the plugin's PLUGIN_NAMESPACES): `--ns
// cgroup` passes the usage check and fails later in toRunSpec with exit 1, not 2.
test('run --ns cgroup → exit 2 with the usage (only uts, ipc, net, pid and mount are plugin namespaces)', async (t) => {
  const r = await cli(['run', 'whoami', '--ns', 'cgroup']);
  t.is(r.code, 2, r.stderr);
  t.regex(r.stderr, /Usage: reexecer run <id>/);
});

for (const [what, args, message] of BAD) {
  test(`run with ${what} → exit 2 with the message and the usage on stderr`, async (t) => {
    const r = await cli(args);
    t.is(r.code, 2, r.stderr);
    t.regex(r.stderr, message);
    t.regex(r.stderr, /Usage: reexecer run <id>/);
    t.is(r.stdout, '');
  });
}
