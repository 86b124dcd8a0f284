// After 200 sequential and 50 concurrent spawns (and 20 failing ones) the parent's open fd
// count is back where it started. Serial: other tests in this worker would move the count.
import test from 'ava';

import { scenario } from '../helpers/native.js';

for (const as of ['root', 'nobody']) {
  test.serial(`${as}: no fd leaks over 200 sequential, 50 concurrent and 20 failing spawns`, async (t) => {
    const r = await scenario(as, 'fdLeak', { namespaces: ['user', 'mount'] });
    t.is(r.failures, 20, 'the failing spawns failed with ENOENT');
    t.is(r.afterSequential, r.before);
    t.is(r.afterConcurrent, r.before);
    t.is(r.afterFailures, r.before);
  });
}
