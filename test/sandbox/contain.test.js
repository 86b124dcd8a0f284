// The sandbox layer takes the same containment options as the plugin framework:
// ReexecSpec's seccomp, limits and landlock reach the child, as root and as nobody.
import { join } from 'node:path';

import test from 'ava';

import { HERE } from '../fixtures/sandbox/helpers.js';
import { scenarioRunners } from '../helpers/scenario-runners.js';

const { scenario } = scenarioRunners(join(HERE, 'contain.js'));

for (const as of ['root', 'nobody']) {
  test(`${as}: reexec(id, { seccomp, limits, landlock }): filter by default, off on request; a limit → kind 'limit'; writes outside the tree refused; noNewPrivileges: false needs a user namespace or root`, async (t) => {
    const r = await scenario(as, 'all');
    t.deepEqual(r.filtered, { stdout: 'Seccomp:\t2' });
    t.deepEqual(r.unfiltered, { stdout: 'Seccomp:\t0' });
    t.like(r.cpu.error, { kind: 'limit', limit: 'cpu', signal: 'SIGXCPU' });
    const written = JSON.parse(r.landlock.stdout);
    t.deepEqual(Object.values(written), ['ok', 'EACCES']);
    t.like(r.badSeccomp.error, { kind: 'invalid-options' });
    t.like(r.badLimit.error, { kind: 'invalid-options' });
    if (as === 'root') t.deepEqual(r.nnpOff, { stdout: 'Seccomp:\t2' }, 'host root holds CAP_SYS_ADMIN');
    else t.like(r.nnpOff.error, { kind: 'invalid-options' });
    t.deepEqual(r.nnpOffInUserns, { stdout: 'Seccomp:\t2' }, 'namespace root holds CAP_SYS_ADMIN');
  });
}
