// TypeScript plugins: discovered and run under tsx (host and child, as root and as nobody),
// type-checked by tsc; where Node cannot import them, refused with what to do, by the API
// and by the CLI, never skipped in silence.
import { join } from 'node:path';

import test from 'ava';

import { asUser } from '../helpers/users.js';
import { ROOT, run } from '../helpers/process.js';

const APP = join(ROOT, 'test/fixtures/plugins/ts'); // its tsconfig.json turns on experimentalDecorators for tsx
const HOST = join(ROOT, 'test/fixtures/plugins/ts-host.js');

async function host(t, { as = 'root', loader = true } = {}) {
  const r = await run([...asUser(as), process.execPath, ...(loader ? ['--import', 'tsx'] : []), HOST], { cwd: APP });
  t.is(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

for (const as of ['root', 'nobody']) {
  test(`${as}: under tsx, a .ts plugin with @inject tokens is discovered and runs in the sandbox`, async (t) => {
    const out = await host(t, { as });
    t.is(out.error, undefined, JSON.stringify(out.error));
    t.deepEqual(out.listed, ['ts-greet']);
    t.deepEqual(out.value, { greeting: 'hello typed world', uid: 0, typescript: true });
  });
}

test('without a loader: the .ts directory is refused naming the file, with tsx and tsc as the way out', async (t) => {
  const out = await host(t, { loader: false });
  t.is(out.error?.kind, 'invalid-options');
  t.regex(out.error.message, /greet\.ts/);
  t.regex(out.error.hint, /--import tsx/);
  t.regex(out.error.hint, /tsc/);
});

test('reexecer list --plugins <ts dir> without a loader: exit 1 saying why, not an empty list', async (t) => {
  const r = await run([process.execPath, join(ROOT, 'dist/cli/main.js'), 'list', '--plugins', APP]);
  t.is(r.code, 1);
  t.is(r.stdout, '');
  t.regex(r.stderr, /greet\.ts/);
  t.regex(r.stderr, /tsx/);
});

test('tsc type-checks the plugin against the published types (module nodenext)', async (t) => {
  const r = await run([process.execPath, join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', APP]);
  t.is(r.code, 0, r.stdout + r.stderr);
});
