// Per-spawn latency: spawnSandboxed('/bin/true') in new user + mount + uts namespaces
// against child_process.spawn('/bin/true'), with `unshare -U -m -u -r /bin/true` (util-linux)
// as a reference for the same namespaces made by a separate tool.
//
// The three are interleaved in one run (the order rotates every round, so neither side
// profits from a warmer cache or a quieter moment), each awaited until the child has exited.
// The headline figure is the median of the per-round ratios sandboxed / plain.
//
//   npm run bench                       # builds the TypeScript, then runs this
//   node bench/spawn.js --pairs 300 --warmup 20
//   setpriv --reuid=65534 --regid=65534 --clear-groups node bench/spawn.js   # unprivileged: self map
//
// Prints a table, then one JSON line with every figure (milliseconds).
import { spawn } from 'node:child_process';
import { release } from 'node:os';
import { parseArgs } from 'node:util';

import { spawnSandboxed } from 'reexecer/native';

const TARGET_RATIO = 1.1;
const NAMESPACES = ['user', 'mount', 'uts'];
const TRUE = '/bin/true';

const { values } = parseArgs({
  options: {
    pairs: { type: 'string', default: '300' },
    warmup: { type: 'string', default: '20' },
    'no-unshare': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log('usage: node bench/spawn.js [--pairs N] [--warmup N] [--no-unshare]');
  process.exit(0);
}
const positiveInt = (name, text, min) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name} must be an integer >= ${min}, got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return n;
};
const pairs = positiveInt('pairs', values.pairs, 1);
const warmup = positiveInt('warmup', values.warmup, 0);

const ms = (start) => Number(process.hrtime.bigint() - start) / 1e6;

async function sandboxed() {
  const start = process.hrtime.bigint();
  const child = await spawnSandboxed({ file: TRUE, namespaces: NAMESPACES, stdio: ['ignore', 'ignore', 'ignore'] });
  const exit = await child.exited;
  const elapsed = ms(start);
  if (exit.exitCode !== 0) throw new Error(`sandboxed ${TRUE} exited with ${exit.exitCode ?? exit.signal}`);
  return elapsed;
}

// The sandboxed child gets an empty environment; so do these.
function viaChildProcess(file, args) {
  const start = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: 'ignore', env: {} });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      const elapsed = ms(start);
      if (code !== 0) reject(new Error(`${[file, ...args].join(' ')} exited with ${code ?? signal}`));
      else resolve(elapsed);
    });
  });
}
const plain = () => viaChildProcess(TRUE, []);
const unshare = () => viaChildProcess('unshare', ['-U', '-m', '-u', '-r', TRUE]);

const cases = [
  ['sandboxed', sandboxed],
  ['plain', plain],
];
let unshareSkipped = null;
if (values['no-unshare']) unshareSkipped = '--no-unshare';
else {
  try {
    await unshare();
    cases.push(['unshare', unshare]);
  } catch (error) {
    unshareSkipped = error.message;
    console.error(`unshare(1) reference skipped: ${error.message}`);
  }
}

for (let i = 0; i < warmup; i++) for (const [, run] of cases) await run();

const samples = Object.fromEntries(cases.map(([name]) => [name, []]));
for (let round = 0; round < pairs; round++) {
  for (let k = 0; k < cases.length; k++) {
    const [name, run] = cases[(round + k) % cases.length];
    samples[name].push(await run());
  }
}

function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
const stats = (values) => ({
  median: quantile(values, 0.5),
  p90: quantile(values, 0.9),
  min: Math.min(...values),
  mean: values.reduce((a, b) => a + b, 0) / values.length,
});
const ratios = (name) => samples[name].map((v, i) => v / samples.plain[i]);

const result = {
  bench: 'spawn /bin/true',
  namespaces: NAMESPACES,
  pairs,
  warmup,
  uid: process.getuid(),
  node: process.version,
  kernel: release(),
  ms: Object.fromEntries(Object.entries(samples).map(([name, v]) => [name, stats(v)])),
  ratio: { sandboxed: quantile(ratios('sandboxed'), 0.5) },
  target: TARGET_RATIO,
};
if (samples.unshare) result.ratio.unshare = quantile(ratios('unshare'), 0.5);
else result.unshareSkipped = unshareSkipped;
result.ok = result.ratio.sandboxed <= TARGET_RATIO;

const f = (n) => n.toFixed(3).padStart(8);
const labels = {
  sandboxed: `spawnSandboxed (${NAMESPACES.join('+')})`,
  plain: 'child_process.spawn',
  unshare: 'unshare -U -m -u -r',
};
console.log(`spawn ${TRUE}: ${pairs} interleaved rounds after ${warmup} warm-up each; uid ${result.uid}, node ${process.version}, linux ${release()}`);
console.log(`${'case'.padEnd(34)}  median ms    p90 ms    min ms  ratio (median of per-round x/plain)`);
for (const name of Object.keys(samples)) {
  const s = result.ms[name];
  const ratio = name === 'plain' ? '1' : result.ratio[name].toFixed(3);
  console.log(`${labels[name].padEnd(34)}  ${f(s.median)}  ${f(s.p90)}  ${f(s.min)}  ${ratio}`);
}
console.log(`target: sandboxed/plain <= ${TARGET_RATIO} -> ${result.ok ? 'met' : 'NOT met'}`);
console.log(JSON.stringify(result));
