// The defaults that contain, on the plugin and sandbox layers, as root and as nobody: a user
// namespace's root is never host root by default, no_new_privs is on unless a call turns
// it off (and a class that declares it keeps it), and a plugin's orphans in a PID
// namespace do not stay zombies.
import { join } from 'node:path';

import test from 'ava';
import { ROOT_DEFAULT_HOST_ID, ROOT_DEFAULT_SIZE } from 'reexecer/native';

import { mapLines, NOBODY } from '../helpers/native.js';
import { ROOT } from '../helpers/process.js';
import { scenarioRunners } from '../helpers/scenario-runners.js';

const { runScenario } = scenarioRunners(join(ROOT, 'test/fixtures/options/scenarios.js'));

for (const as of ['root', 'nobody']) {
  const plugin = runScenario('pluginDefaults', {}, { as });
  const sandbox = runScenario('sandboxDefaults', {}, { as });
  plugin.catch(() => {});
  sandbox.catch(() => {});
  const [hostUid, hostGid, size] = as === 'root' ? [ROOT_DEFAULT_HOST_ID, ROOT_DEFAULT_HOST_ID, ROOT_DEFAULT_SIZE] : [NOBODY.uid, NOBODY.gid, 1];

  test(`${as}: plugin userns: true maps namespace root to host ${hostUid}${as === 'root' ? ', not 0' : ''}`, async (t) => {
    const { status } = await plugin;
    t.is(status.error, undefined, JSON.stringify(status.error));
    t.deepEqual(mapLines(status.value.uidMap), [[0, hostUid, size]]);
    t.deepEqual(mapLines(status.value.gidMap), [[0, hostGid, size]]);
  });

  test(`${as}: a plugin runs with no_new_privs by default; a call's noNewPrivileges: false turns it off`, async (t) => {
    const { status, optOut } = await plugin;
    t.is(status.value.noNewPrivs, '1');
    t.is(optOut.value?.noNewPrivs, '0', JSON.stringify(optOut.error));
  });

  test(`${as}: a class that declares noNewPrivileges: true cannot be turned off by a call`, async (t) => {
    const { strictOptOut } = await plugin;
    t.is(strictOptOut.error?.kind, 'invalid-options');
    t.regex(strictOptOut.error.message, /declares noNewPrivileges: true; a call cannot drop it/);
  });

  test(`${as}: a plugin's orphans in its PID namespace are reaped (no zombies under a Node pid 1)`, async (t) => {
    const { orphans } = await plugin;
    t.is(orphans.error, undefined, JSON.stringify(orphans.error));
    t.is(orphans.value.pid, 2, 'the plugin runs under the init');
    t.is(orphans.value.orphans.length, 5);
    t.deepEqual(orphans.value.states, ['gone', 'gone', 'gone', 'gone', 'gone']);
  });

  test(`${as}: a file the sandbox layer's child creates with cloneUserns belongs to host ${hostUid}`, async (t) => {
    const { made, owner } = await sandbox;
    t.is(made.error, undefined, JSON.stringify(made.error));
    t.deepEqual(owner, { uid: hostUid, gid: hostGid });
    if (as === 'root') t.not(owner.uid, 0);
  });

  test(`${as}: the sandbox layer sets no_new_privs unless the spec says noNewPrivileges: false`, async (t) => {
    t.deepEqual((await sandbox).noNewPrivs, { default: '1', optOut: '0' });
  });
}
