// Spawn cost against the host's size (issue 9): spawnSandboxed('/bin/true') with user +
// mount + uts namespaces and child_process.spawn('/bin/true'), each from a host holding
// an empty heap and from one holding --heap-mb (200) MiB of live JS objects. Both spawns
// fork the host today, so their cost grows with its page tables; the four cases alternate
// in one run (two host processes, bench/lib/spawn-host.js, driven over stdin).
//
//   node bench/spawn-heap.js                  # --pairs 100 --warmup 10 --heap-mb 200
//   setpriv --reuid=65534 --regid=65534 --clear-groups node bench/spawn-heap.js
//
// Prints a table, then one JSON line (milliseconds).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { fmt, interleave, machine, options, ratioMedian, rounded, stats, table } from './lib/stats.js';

const USAGE = 'usage: node bench/spawn-heap.js [--pairs N] [--warmup N] [--heap-mb N]';
const opts = options(USAGE, { pairs: [100, 1], warmup: [10, 0], 'heap-mb': [200, 1] });
const HOST = fileURLToPath(new URL('lib/spawn-host.js', import.meta.url));

async function host(heapMb) {
  const child = spawn(process.execPath, [HOST, String(heapMb)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const [, heapUsed, rss] = (await lines.next()).value.split(' ').map(Number);
  const ask = async (what) => {
    child.stdin.write(`${what}\n`);
    const { value, done } = await lines.next();
    if (done) throw new Error(`the ${heapMb} MiB host exited`);
    return Number(value);
  };
  return { heapUsed, rss, ask, close: () => child.stdin.end() };
}

const empty = await host(0);
const big = await host(opts['heap-mb']);
const { samples } = await interleave(
  [
    ['emptySandboxed', () => empty.ask('sandboxed')],
    ['emptyPlain', () => empty.ask('plain')],
    ['bigSandboxed', () => big.ask('sandboxed')],
    ['bigPlain', () => big.ask('plain')],
  ],
  opts.pairs,
  opts.warmup,
);
empty.close();
big.close();

const result = {
  bench: `spawn /bin/true (user+mount+uts) vs child_process.spawn, from an empty host and a ${opts['heap-mb']} MiB host`,
  pairs: opts.pairs,
  ...machine(),
  hosts: { empty: { heapUsedMiB: empty.heapUsed, rssMiB: empty.rss }, big: { heapUsedMiB: big.heapUsed, rssMiB: big.rss } },
  ms: Object.fromEntries(Object.entries(samples).map(([name, v]) => [name, stats(v)])),
  ratio: {
    sandboxedVsPlainEmpty: ratioMedian(samples.emptySandboxed, samples.emptyPlain),
    sandboxedVsPlainBig: ratioMedian(samples.bigSandboxed, samples.bigPlain),
    sandboxedBigVsEmpty: ratioMedian(samples.bigSandboxed, samples.emptySandboxed),
    plainBigVsEmpty: ratioMedian(samples.bigPlain, samples.emptyPlain),
  },
  target: { sandboxedVsPlainEmpty: 1.0, sandboxedBigVsEmpty: 1.5 },
};
result.ok = result.ratio.sandboxedVsPlainEmpty <= 1.0 && result.ratio.sandboxedBigVsEmpty <= 1.5;

console.log(`${result.bench}: ${opts.pairs} interleaved rounds; uid ${result.uid}, node ${result.node}, ${result.cpus} cpus, load ${result.loadavg.join(' ')}`);
console.log(`hosts: empty ${empty.heapUsed} MiB heap / ${empty.rss} MiB RSS, big ${big.heapUsed} MiB heap / ${big.rss} MiB RSS`);
table(
  ['case', 'median ms', 'p90 ms', 'min ms'],
  Object.entries(result.ms).map(([name, s]) => [name, fmt(s.median), fmt(s.p90), fmt(s.min)]),
);
table(
  ['ratio (median of per-round ratios)', 'value', 'target'],
  [
    ['sandboxed / plain, empty host', result.ratio.sandboxedVsPlainEmpty.toFixed(3), '<= 1.0'],
    ['sandboxed / plain, big host', result.ratio.sandboxedVsPlainBig.toFixed(3), ''],
    ['sandboxed big host / empty host', result.ratio.sandboxedBigVsEmpty.toFixed(3), '<= 1.5'],
    ['plain big host / empty host', result.ratio.plainBigVsEmpty.toFixed(3), ''],
  ],
);
console.log(JSON.stringify(rounded(result)));
