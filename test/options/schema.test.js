// The option table itself: each layer's names are unique, the README shows the table the
// schema generates, the CLI's usage lists every flag, and an unknown key's message says
// the right name when the key is another layer's.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import test from 'ava';

import { ROOT } from '../helpers/process.js';

const { LAYERS, OPTIONS, rowsOn } = await import(join(ROOT, 'dist/options/schema.js'));
const { optionsTable } = await import(join(ROOT, 'dist/options/table.js'));
const { unknownKeyMessage } = await import(join(ROOT, 'dist/options/validate.js'));
const { USAGE } = await import(join(ROOT, 'dist/cli/usage.js'));

test('each layer names each option once', (t) => {
  for (const layer of LAYERS) {
    const names = rowsOn(layer).map(([, e]) => e.name);
    t.is(new Set(names).size, names.length, `${layer}: ${names}`);
  }
});

test('every row is named on at least one layer and says what it means', (t) => {
  for (const [key, row] of Object.entries(OPTIONS)) {
    t.true(Object.keys(row.on).length > 0, key);
    t.true(row.about.length > 10, key);
  }
});

test("the README's options table is the one the schema generates", (t) => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const table = /<!-- options-table:[^\n]*-->\n([\s\S]*?)\n<!-- \/options-table -->/.exec(readme)?.[1];
  t.is(table, optionsTable(), 'regenerate it: node -e "import(\'./dist/options/table.js\').then((m) => console.log(m.optionsTable()))"');
});

test("reexecer run's usage lists every flag of the table", (t) => {
  for (const [, entry] of rowsOn('cli')) t.true(USAGE.run.includes(`--${entry.name}`), entry.name);
});

test('another layer’s name gets the name of this layer; an unknown one the list', (t) => {
  t.regex(unknownKeyMessage('call', 'chrootDir'), /use chroot/);
  t.regex(unknownKeyMessage('call', 'cloneUserns'), /use userns/);
  t.regex(unknownKeyMessage('call', 'timeout'), /use timeoutMs/);
  t.regex(unknownKeyMessage('sandbox', 'chroot'), /use chrootDir/);
  t.regex(unknownKeyMessage('sandbox', 'userns'), /use cloneUserns/);
  t.regex(unknownKeyMessage('sandbox', 'files'), /use extraFiles/);
  t.regex(unknownKeyMessage('cli', '--chrootDir'), /use --chroot/);
  t.regex(unknownKeyMessage('cli', '--timeoutMs'), /use --timeout/);
  t.regex(unknownKeyMessage('sandboxed', 'args'), /is not an option of @Sandboxed\(\) \(it is args on reexecer\.reexec\(\)/);
  t.regex(unknownKeyMessage('native', 'bogus'), /is not an option \(known: idMappings, .*timeoutMs, .*file, argv0/);
});
