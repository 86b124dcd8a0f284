// `reexecer run` checks its flags with the same option table as the API: each bad flag of
// CLI_CASES exits 2 with the message and the usage, and no child ran (its marker is
// absent; the same command with good flags leaves it). The defaults: --userns never maps
// host root, no_new_privs unless --allow-new-privileges, a map with host 0 only with
// --dangerously-map-host-root.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import test from 'ava';
import { ROOT_DEFAULT_HOST_ID, ROOT_DEFAULT_SIZE } from 'reexecer/native';

import { CLI_CASES } from '../fixtures/options/cases.js';
import { markerDir, markerPath } from '../fixtures/options/marker.js';
import { cli, json, removeDir, tempDir } from '../fixtures/cli/helpers.js';
import { mapLines } from '../helpers/native.js';
import { PATH, ROOT } from '../helpers/process.js';
import { asUser } from '../helpers/users.js';

const PLUGINS = join(ROOT, 'test/fixtures/options/plugins');
const CLI = join(ROOT, 'dist/cli/main.js');
markerDir();

/** `reexecer run options-marker --plugins PLUGINS ...flags` as `as`: exit code, stderr, whether its child left a marker. */
function runMarker(flags, as) {
  return new Promise((resolve, reject) => {
    const argv = [...asUser(as), process.execPath, CLI, 'run', 'options-marker', '--plugins', PLUGINS, ...flags];
    const child = spawn(argv[0], argv.slice(1), { cwd: ROOT, env: { PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
    child.stdout.resume();
    child.on('error', reject);
    child.on('close', (code) => {
      const marker = markerPath(child.pid); // setpriv execs: the CLI has its pid
      const left = existsSync(marker);
      rmSync(marker, { force: true });
      resolve({ code, stderr, marker: left });
    });
  });
}

for (const as of ['root', 'nobody']) {
  test(`${as}: the command with good flags runs the plugin (its marker is left)`, async (t) => {
    const r = await runMarker(['--timeout', '60000', '--userns', '--ns', 'uts'], as);
    t.is(r.code, 0, r.stderr);
    t.true(r.marker);
  });

  for (const c of CLI_CASES)
    test(`${as}: ${c.what} → exit 2 with the message and the usage, nothing run`, async (t) => {
      const r = await runMarker(c.input, as);
      t.is(r.code, 2, r.stderr);
      t.regex(r.stderr, c.expect);
      t.regex(r.stderr, /Usage: reexecer run <id>/);
      t.false(r.marker, 'no child ran');
    });
}

test('root: run --userns maps namespace root to host 2146435072, not 0; no_new_privs is set', async (t) => {
  const r = await cli(['run', 'options-status', '--plugins', PLUGINS, '--userns']);
  t.is(r.code, 0, r.stderr);
  const value = json(t, r);
  t.deepEqual(mapLines(value.uidMap), [[0, ROOT_DEFAULT_HOST_ID, ROOT_DEFAULT_SIZE]]);
  t.is(value.noNewPrivs, '1');
});

test('root: run --allow-new-privileges turns no_new_privs off', async (t) => {
  const r = await cli(['run', 'options-status', '--plugins', PLUGINS, '--allow-new-privileges']);
  t.is(r.code, 0, r.stderr);
  t.is(json(t, r).noNewPrivs, '0');
});

test('root: --map-uid 0:0:1 is refused (exit 1, invalid-options) unless --dangerously-map-host-root', async (t) => {
  const maps = ['--map-uid', '0:0:1', '--map-gid', '0:0:1'];
  const refused = await cli(['run', 'options-status', '--plugins', PLUGINS, ...maps]);
  t.is(refused.code, 1);
  t.regex(refused.stderr, /host root \(uid or gid 0\).*dangerouslyMapHostRoot/);
  const allowed = await cli(['run', 'options-status', '--plugins', PLUGINS, ...maps, '--dangerously-map-host-root']);
  t.is(allowed.code, 0, allowed.stderr);
  t.deepEqual(mapLines(json(t, allowed).uidMap), [[0, 0, 1]]);
});

test('root: run --limit lowers the plugin\'s rlimit, --landlock narrows what it may write; raising a limit is refused', async (t) => {
  const dir = tempDir('reexecer-cli-landlock-');
  t.teardown(() => removeDir(dir));
  const [inside, outside] = ['inside', 'outside'].map((name) => join(dir, name));
  for (const d of [inside, outside]) mkdirSync(d);
  const base = ['run', 'options-limited', '--plugins', PLUGINS];
  const declared = await cli([...base, '--', inside, outside]);
  t.is(declared.code, 0, declared.stderr);
  t.deepEqual(json(t, declared), { openFiles: [512, 512], writes: ['ok', 'ok'] });

  const narrowed = await cli([...base, '--limit', 'openFiles=100', '--landlock', 'read:/', '--landlock', `write:${inside}`, '--', inside, outside]);
  t.is(narrowed.code, 0, narrowed.stderr);
  t.deepEqual(json(t, narrowed), { openFiles: [100, 100], writes: ['ok', 'EACCES'] });

  const raised = await cli([...base, '--limit', 'openFiles=1000']);
  t.is(raised.code, 1);
  t.regex(raised.stderr, /limits\.openFiles 1000 is above the plugin's 512; a call may only lower a limit/);
});
