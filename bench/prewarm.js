// Prewarmed one-shot sandboxes (issue 9), side by side in one run: a warm reexec (a child
// started ahead in a pool: user namespace, runtime loaded, module imported, logger made)
// against a cold reexec of the same job and a bare `node -e 0` with an empty environment.
// The job is bench/lib/noop-action.js's 'noop': chroot into an empty directory, one log
// line relayed to the parent's pino logger; the plugin layer's twin (bench/lib/plugins/
// noop-plugin.js through Reexecer with prewarm) joins the rounds. Then: RSS of an idle
// warm child, and cold reexecs per second per core at saturation.
//
//   node bench/prewarm.js                       # --rounds 100 --warmup 5 --saturate-s 5
//   setpriv --reuid=65534 --regid=65534 --clear-groups node bench/prewarm.js   # unprivileged
//
// When `go` is installed, bench/go/reexec.go is built (into a temporary directory) and a Go
// reexec of the same job joins the rounds: /proc/self/exe in a new user namespace with a
// self map, chroot, one JSON log line relayed (its own clock). Without go it is skipped.
//
// Every case first waits for both pools to be full (untimed), so a refill in the background
// never overlaps a timed case. Prints tables, then one JSON line (milliseconds).
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, chownSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import { pino } from 'pino';
import { Reexecer } from 'reexecer';
import { ROOT_DEFAULT_HOST_ID } from 'reexecer/native';
import { newReexecer } from 'reexecer/sandbox';

import './lib/noop-action.js';
import { fmt, interleave, machine, msSince, now, options, quantile, ratioMedian, rounded, stats, table, timeProcess } from './lib/stats.js';

const USAGE = 'usage: node bench/prewarm.js [--rounds N] [--warmup N] [--saturate-s N]';
const opts = options(USAGE, { rounds: [100, 1], warmup: [5, 0], 'saturate-s': [5, 1] });
const TARGET_WARM = 0.1;
const TARGET_COLD = 1.5;
const POOL = 2;

const chrootDir = mkdtempSync(join(tmpdir(), 'reexecer-bench-root-'));
process.on('exit', () => rmSync(chrootDir, { recursive: true, force: true }));
// As root the default map's namespace root is a host id of its own: it must be able to enter the dir.
if (process.geteuid() === 0) chownSync(chrootDir, ROOT_DEFAULT_HOST_ID, ROOT_DEFAULT_HOST_ID);
// The Go child's namespace root is host root, for which that owner is unmapped: it searches as "other".
chmodSync(chrootDir, 0o711);

let logLines = 0;
const logger = pino(
  { level: 'info' },
  new Writable({
    write(chunk, _encoding, callback) {
      for (const byte of chunk) if (byte === 10) logLines++;
      callback();
    },
  }),
);
const spec = { cloneUserns: true, chrootDir };
const pooled = newReexecer(logger, { prewarm: { noop: { count: POOL, cloneUserns: true } } });
const plain = newReexecer(logger);
const plugins = await Reexecer.create({ plugins: [fileURLToPath(new URL('lib/plugins/', import.meta.url))], logger, prewarm: { 'noop-plugin': POOL } });
/** Every case starts with both pools full: a refill (a Node start) next to a timed call would slow it. */
const warmed = () => Promise.all([pooled.warmed(), plugins.warmed()]);
await warmed();

/** ms of one call, started once both pools are full; `check` looks at its result afterwards. */
async function timed(call, check = () => {}) {
  await warmed();
  const start = now();
  const result = await call();
  const ms = msSince(start);
  check(result);
  return ms;
}
const warm = () => timed(() => pooled.reexec('noop', spec));
const warmPlugin = () =>
  timed(
    () => plugins.reexec('noop-plugin', { chroot: chrootDir }),
    (result) => {
      if (!result.warm) throw new Error('the plugin call did not get a prewarmed child');
    },
  );
const cold = () => timed(() => plain.reexec('noop', spec));
async function bareNode() {
  await warmed();
  return (await timeProcess(process.execPath, ['-e', '0'])).ms;
}

/** The Go host (built now), or the reason it is skipped. */
function goHost() {
  const out = mkdtempSync(join(tmpdir(), 'reexecer-bench-go-'));
  process.on('exit', () => rmSync(out, { recursive: true, force: true }));
  const binary = join(out, 'reexec-go');
  try {
    execFileSync('go', ['build', '-o', binary, 'reexec.go'], {
      cwd: fileURLToPath(new URL('go/', import.meta.url)),
      env: { ...process.env, GOCACHE: join(out, 'cache'), GOPATH: join(out, 'path'), GOFLAGS: '-mod=mod' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (error) {
    return { skipped: error.code === 'ENOENT' ? 'go is not installed (apt-get install golang-go)' : `go build failed: ${error.stderr ?? error.message}` };
  }
  const host = spawn(binary, [chrootDir], { stdio: ['pipe', 'pipe', 'inherit'], env: {} });
  const lines = createInterface({ input: host.stdout })[Symbol.asyncIterator]();
  return {
    async reexec() {
      await warmed();
      host.stdin.write('\n');
      const { value, done } = await lines.next();
      if (done) throw new Error('the Go host exited');
      return Number(value);
    },
    async close() {
      host.stdin.end();
      await once(host, 'exit');
    },
  };
}
const go = goHost();

const started = now();
const { samples } = await interleave(
  [
    ['warm', warm],
    ['warmPlugin', warmPlugin],
    ['cold', cold],
    ['node', bareNode],
    ...(go.reexec ? [['go', go.reexec]] : []),
  ],
  opts.rounds,
  opts.warmup,
);

/** Idle warm children of this process: their pids and /proc/PID/smaps_rollup in KiB. */
function idleChildren() {
  const pids = [];
  for (const task of readdirSync('/proc/self/task')) {
    const text = readFileSync(`/proc/self/task/${task}/children`, 'utf8').trim();
    if (text) pids.push(...text.split(' ').map(Number));
  }
  return pids
    .filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] === 'noop')
    .map((pid) => {
      const fields = Object.fromEntries(
        readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8')
          .split('\n')
          .map((line) => line.match(/^(\w+):\s+(\d+) kB/))
          .filter(Boolean)
          .map((m) => [m[1], Number(m[2])]),
      );
      const threads = readdirSync(`/proc/${pid}/task`).length;
      return { pid, rssKiB: fields.Rss, pssKiB: fields.Pss, privateKiB: fields.Private_Clean + fields.Private_Dirty, threads };
    });
}
await warmed();
const idle = idleChildren();

// Saturation: as many cold reexecs in flight as twice the cores, for a fixed time.
const cores = availableParallelism();
const until = Date.now() + opts['saturate-s'] * 1000;
let done = 0;
await Promise.all(
  Array.from({ length: cores * 2 }, async () => {
    while (Date.now() < until) {
      await plain.reexec('noop', spec);
      done++;
    }
  }),
);
const perSecondPerCore = done / opts['saturate-s'] / cores;
await pooled.close();
await plugins.close();
await go.close?.();

const expectedLines = (opts.warmup + opts.rounds) * 3 + done;
if (logLines !== expectedLines) throw new Error(`the parent's logger got ${logLines} lines for ${expectedLines} reexecs`);

const median = (values) => quantile(values, 0.5);
const result = {
  bench: "sandbox reexec('noop', { cloneUserns, chrootDir }): warm (prewarmed pool) vs cold vs node -e 0 (env {})",
  rounds: opts.rounds,
  warmup: opts.warmup,
  ...machine(),
  ms: {
    warm: { ...stats(samples.warm), p99: quantile(samples.warm, 0.99) },
    warmPlugin: { ...stats(samples.warmPlugin), p99: quantile(samples.warmPlugin, 0.99) },
    cold: stats(samples.cold),
    node: stats(samples.node),
  },
  ratio: {
    warm: ratioMedian(samples.warm, samples.node),
    warmPlugin: ratioMedian(samples.warmPlugin, samples.node),
    cold: ratioMedian(samples.cold, samples.node),
    ...(samples.go ? { warmVsGo: ratioMedian(samples.warm, samples.go), warmPluginVsGo: ratioMedian(samples.warmPlugin, samples.go), coldVsGo: ratioMedian(samples.cold, samples.go) } : {}),
  },
  go: samples.go ? stats(samples.go) : { skipped: go.skipped },
  target: { warm: TARGET_WARM, cold: TARGET_COLD },
  idleChild: { count: idle.length, rssKiB: median(idle.map((c) => c.rssKiB)), pssKiB: median(idle.map((c) => c.pssKiB)), privateKiB: median(idle.map((c) => c.privateKiB)), threads: median(idle.map((c) => c.threads)) },
  saturation: { inFlight: cores * 2, seconds: opts['saturate-s'], reexecs: done, perSecondPerCore },
  seconds: msSince(started) / 1000,
};
result.ok = result.ratio.warm <= TARGET_WARM && result.ratio.warmPlugin <= TARGET_WARM;
result.okCold = result.ratio.cold <= TARGET_COLD;

console.log(`${result.bench}: ${opts.rounds} interleaved rounds after ${opts.warmup} warm-up; uid ${result.uid}, node ${result.node}, linux ${result.kernel}, ${result.cpus} cpus, load ${result.loadavg.join(' ')}`);
table(
  ['case', 'median ms', 'p90 ms', 'p99 ms', 'min ms', 'ratio (median of x/node)'],
  [
    ['warm reexec (prewarmed pool)', fmt(result.ms.warm.median), fmt(result.ms.warm.p90), fmt(result.ms.warm.p99), fmt(result.ms.warm.min), result.ratio.warm.toFixed(3)],
    ['warm plugin call (Reexecer, prewarm)', fmt(result.ms.warmPlugin.median), fmt(result.ms.warmPlugin.p90), fmt(result.ms.warmPlugin.p99), fmt(result.ms.warmPlugin.min), result.ratio.warmPlugin.toFixed(3)],
    ['cold reexec', fmt(result.ms.cold.median), fmt(result.ms.cold.p90), fmt(quantile(samples.cold, 0.99)), fmt(result.ms.cold.min), result.ratio.cold.toFixed(3)],
    ["spawn(node, ['-e', '0'], { env: {} })", fmt(result.ms.node.median), fmt(result.ms.node.p90), fmt(quantile(samples.node, 0.99)), fmt(result.ms.node.min), '1'],
    ...(samples.go ? [['Go reexec, same job (its own clock)', fmt(result.go.median), fmt(result.go.p90), fmt(quantile(samples.go, 0.99)), fmt(result.go.min), ratioMedian(samples.go, samples.node).toFixed(3)]] : []),
  ],
);
if (samples.go) console.log(`warm/go ${result.ratio.warmVsGo.toFixed(2)}, warm plugin/go ${result.ratio.warmPluginVsGo.toFixed(2)}, cold/go ${result.ratio.coldVsGo.toFixed(2)}`);
else console.log(`Go reexec skipped: ${go.skipped}`);
const verdict = (ok) => (ok ? 'met' : 'NOT met');
console.log(`target: warm/node <= ${TARGET_WARM} -> sandbox ${verdict(result.ratio.warm <= TARGET_WARM)}, plugin ${verdict(result.ratio.warmPlugin <= TARGET_WARM)}; cold/node <= ${TARGET_COLD} -> ${verdict(result.okCold)}`);
console.log(`idle warm child (median of ${idle.length}): RSS ${(result.idleChild.rssKiB / 1024).toFixed(1)} MiB, PSS ${(result.idleChild.pssKiB / 1024).toFixed(1)} MiB, private ${(result.idleChild.privateKiB / 1024).toFixed(1)} MiB, ${result.idleChild.threads} threads`);
console.log(`saturation: ${done} cold reexecs in ${opts['saturate-s']} s with ${cores * 2} in flight on ${cores} cpus -> ${perSecondPerCore.toFixed(1)} /s per core`);
console.log(JSON.stringify(rounded(result)));
