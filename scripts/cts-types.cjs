'use strict';
// dist/**/index.d.cts beside each entry's index.d.ts: what a CommonJS TypeScript host
// ("module": "node16") resolves through the `require` types condition.
const { writeFileSync } = require('node:fs');
const path = require('node:path');

const dist = path.join(__dirname, '..', 'dist');
for (const entry of ['index', 'sandbox/index', 'reexec/index', 'native/index'])
  writeFileSync(
    path.join(dist, `${entry}.d.cts`),
    "// A CommonJS host's view of the ESM types: Node >= 20.19 loads this package with require()\n" +
      "// (require of ESM), which TypeScript's node16 mode does not know of.\n" +
      '// @ts-ignore TS1479\n' +
      "export * from './index.js';\n",
  );
