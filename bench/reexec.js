// Cold latency of the sandbox layer (issue 3): newReexecer(logger).reexec('noop',
// { cloneUserns: true, chrootDir }) — a new Node child in a new user namespace, chrooted
// into an empty directory, that imports the module registering 'noop', logs one line
// (relayed to the parent's pino logger) and exits — against a bare
// child_process.spawn(process.execPath, ['-e', '0'], { env: {} }), in the same run.
//
//   node bench/reexec.js                          # --pairs 150 --warmup 10 --import-rounds 20
//   setpriv --reuid=65534 --regid=65534 --clear-groups node bench/reexec.js   # unprivileged (self map)
//
// Four cases alternate every round (the order rotating): the public reexec, bare node,
// the internal runSandboxed() with the same spec, which returns the child's own timings
// (ms since its process start) for the breakdown of where the time goes, and node with
// this process's environment (the figure a shell user would see).
// Then, for reference, separate node processes (all with env {}): node start to user code,
// and the cost of importing pino, inversify, reflect-metadata unbundled vs the bundles
// this package ships (dist/vendor/inversify.js, dist/child/runtime.js), vs an empty ESM eval.
//
// env {} for bare node because this machine's environment has NODE_EXTRA_CA_CERTS, which
// adds ≈ 45 ms to every node start; the reexec child gets an empty environment too.
// Prints tables, then one JSON line with every figure (milliseconds).
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

import { pino } from 'pino';
import { ROOT_DEFAULT_HOST_ID } from 'reexecer/native';
import { newReexecer } from 'reexecer/sandbox';

import './lib/noop-action.js';
import { lookup } from '../dist/sandbox/registry.js';
import { runSandboxed } from '../dist/sandbox/run.js';
import { childPhases, fmt, interleave, machine, median, msSince, now, options, ratioMedian, rounded, stats, table, timeProcess } from './lib/stats.js';

const TARGET_RATIO = 1.3;
const USAGE = 'usage: node bench/reexec.js [--pairs N] [--warmup N] [--import-rounds N]';
const opts = options(USAGE, { pairs: [150, 1], warmup: [10, 0], 'import-rounds': [20, 1] });

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const chrootDir = mkdtempSync(join(tmpdir(), 'reexecer-bench-root-'));
// The namespace's root must enter it: as root, that is the default map's host id, not root.
if (process.geteuid() === 0) chownSync(chrootDir, ROOT_DEFAULT_HOST_ID, ROOT_DEFAULT_HOST_ID);
process.on('exit', () => rmSync(chrootDir, { recursive: true, force: true }));

// The parent's logger: counts the relayed lines, so a reexec that lost its log shows.
let logLines = 0;
const sink = new Writable({
  write(chunk, _encoding, callback) {
    for (const byte of chunk) if (byte === 10) logLines++;
    callback();
  },
});
const logger = pino({ level: 'info' }, sink);
const reexecer = newReexecer(logger);
const registration = lookup('noop');
if (!registration) throw new Error("bench/lib/noop-action.js did not register 'noop'");

async function viaReexec() {
  const start = now();
  await reexecer.reexec('noop', { cloneUserns: true, chrootDir });
  return msSince(start);
}

async function viaRunSandboxed() {
  const start = now();
  const result = await runSandboxed(registration, { namespaces: ['user'], chrootDir }, logger);
  return { ms: msSince(start), timings: result.timings, spawnedMs: result.spawnedMs, durationMs: result.durationMs };
}

const bareNode = async () => (await timeProcess(process.execPath, ['-e', '0'])).ms;
// For comparison with figures taken in a shell: node with this process's environment.
const callerEnvNode = async () => (await timeProcess(process.execPath, ['-e', '0'], { env: process.env })).ms;

const cases = [
  ['reexec', viaReexec],
  ['node', bareNode],
  ['runSandboxed', viaRunSandboxed],
  ['nodeCallerEnv', callerEnvNode],
];
const started = now();
const { samples, raw } = await interleave(cases, opts.pairs, opts.warmup);
const expectedLines = (opts.warmup + opts.pairs) * 2;
if (logLines !== expectedLines) throw new Error(`the parent's logger got ${logLines} lines for ${expectedLines} reexecs`);

// Where the child's time goes (medians over the rounds of each phase).
const runs = raw.runSandboxed;
const phase = (f) => median(runs.map(f));
const { action, ...child } = childPhases(runs);
const breakdown = {
  spawn: phase((r) => r.spawnedMs), // parent: the call until the child is exec'd (clone3, maps written)
  ...child,
  run: action, // the action, log flushed
  exitAndTeardown: phase((r) => r.durationMs - r.spawnedMs - r.timings.actionDone), // report, exit, reap, streams
  total: phase((r) => r.durationMs),
};

// Reference: separate node processes, env {}, cwd this package (bare specifiers resolve).
const esm = (source) => ['--input-type=module', '-e', source];
const abs = (path) => JSON.stringify(join(ROOT, path));
const references = [
  ['node -e 0 (env {})', () => timeProcess(process.execPath, ['-e', '0'], { cwd: ROOT })],
  ['node start to user code', () => timeProcess(process.execPath, ['-e', 'process.stdout.write(String(performance.now()))'], { cwd: ROOT, capture: true })],
  ['esm eval, nothing imported', () => timeProcess(process.execPath, esm(''), { cwd: ROOT })],
  ["import 'pino'", () => timeProcess(process.execPath, esm("import 'pino'"), { cwd: ROOT })],
  ["import 'inversify'", () => timeProcess(process.execPath, esm("import 'inversify'"), { cwd: ROOT })],
  ["import 'reflect-metadata'", () => timeProcess(process.execPath, esm("import 'reflect-metadata'"), { cwd: ROOT })],
  ["import 'inversify' + 'reflect-metadata'", () => timeProcess(process.execPath, esm("import 'reflect-metadata'; import 'inversify'"), { cwd: ROOT })],
  ['import dist/vendor/inversify.js (bundle)', () => timeProcess(process.execPath, esm(`import ${abs('dist/vendor/inversify.js')}`), { cwd: ROOT })],
  [
    // Run as the main module with a control pipe that is closed at once: it loads, finds no
    // job and exits 70. That is the bundle's load cost plus an error path of a few lines.
    'node dist/child/runtime.js (bundle, no job)',
    () =>
      timeProcess(process.execPath, [join(ROOT, 'dist/child/runtime.js')], {
        cwd: ROOT,
        expectCode: 70,
        stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
        onSpawn: (child) => child.stdio[3].end(),
      }),
  ],
  ['import bench/lib/noop-action.js', () => timeProcess(process.execPath, esm(`import ${abs('bench/lib/noop-action.js')}`), { cwd: ROOT })],
  ["import 'reexecer' (what a plugin child loads)", () => timeProcess(process.execPath, esm("import 'reexecer'"), { cwd: ROOT })],
];
const ref = await interleave(references, opts['import-rounds'], 2);
const userCode = median(ref.raw['node start to user code'].map((r) => Number(r.stdout)));
const seconds = msSince(started) / 1000;

const result = {
  bench: "sandbox reexec('noop', { cloneUserns, chrootDir }) vs node -e 0",
  pairs: opts.pairs,
  warmup: opts.warmup,
  importRounds: opts['import-rounds'],
  ...machine(),
  ms: Object.fromEntries(Object.entries(samples).map(([name, v]) => [name, stats(v)])),
  ratio: {
    reexec: ratioMedian(samples.reexec, samples.node),
    runSandboxed: ratioMedian(samples.runSandboxed, samples.node),
    // not the target's: node here pays NODE_EXTRA_CA_CERTS (if set) and the reexec child does not
    reexecVsCallerEnvNode: ratioMedian(samples.reexec, samples.nodeCallerEnv),
  },
  callerEnvHasNodeExtraCaCerts: 'NODE_EXTRA_CA_CERTS' in process.env,
  target: TARGET_RATIO,
  breakdown,
  reference: {
    ...Object.fromEntries(Object.entries(ref.samples).map(([name, v]) => [name, median(v)])),
    'performance.now() at user code (node boot)': userCode,
  },
  seconds,
};
result.ok = result.ratio.reexec <= TARGET_RATIO;

console.log(`reexec('noop', { cloneUserns: true, chrootDir }): ${opts.pairs} interleaved rounds after ${opts.warmup} warm-up; uid ${result.uid}, node ${result.node}, linux ${result.kernel}, ${result.cpus} cpus, load ${result.loadavg.join(' ')}`);
table(
  ['case', 'median ms', 'p90 ms', 'min ms', 'ratio (median of x/node)'],
  [
    ["newReexecer().reexec('noop', userns+chroot)", fmt(result.ms.reexec.median), fmt(result.ms.reexec.p90), fmt(result.ms.reexec.min), result.ratio.reexec.toFixed(3)],
    ['runSandboxed (same spec, for timings)', fmt(result.ms.runSandboxed.median), fmt(result.ms.runSandboxed.p90), fmt(result.ms.runSandboxed.min), result.ratio.runSandboxed.toFixed(3)],
    ["spawn(node, ['-e', '0'], { env: {} })", fmt(result.ms.node.median), fmt(result.ms.node.p90), fmt(result.ms.node.min), '1'],
    [`spawn(node, ['-e', '0']) caller env${result.callerEnvHasNodeExtraCaCerts ? ' (NODE_EXTRA_CA_CERTS)' : ''}`, fmt(result.ms.nodeCallerEnv.median), fmt(result.ms.nodeCallerEnv.p90), fmt(result.ms.nodeCallerEnv.min), `reexec/this ${result.ratio.reexecVsCallerEnvNode.toFixed(3)}`],
  ],
);
console.log(`target: reexec/node <= ${TARGET_RATIO} -> ${result.ok ? 'met' : 'NOT met'}`);
console.log('\nwhere the time goes (runSandboxed, median of each phase; child times from its process start):');
table(
  ['phase', 'median ms'],
  [
    ['parent: call -> child exec\'d (clone3 + id maps)', fmt(breakdown.spawn)],
    ['child: node start -> runtime bundle loaded', fmt(breakdown.nodeStartToRuntimeLoaded)],
    ['child: -> job received (fd 3)', fmt(breakdown.jobReceived)],
    ['child: -> registering module imported', fmt(breakdown.moduleImport)],
    ['child: -> logger + chroot', fmt(breakdown.chroot)],
    ['child: -> action run, log flushed', fmt(breakdown.run)],
    ['report, exit, reap, streams (the rest)', fmt(breakdown.exitAndTeardown)],
    ['total (durationMs)', fmt(breakdown.total)],
  ],
);
console.log(`\nreference: separate node processes, env {}, median of ${opts['import-rounds']} interleaved rounds:`);
const esmBase = result.reference['esm eval, nothing imported'];
table(
  ['process', 'median ms', 'minus esm eval'],
  Object.keys(ref.samples).map((name) => [name, fmt(result.reference[name]), name.startsWith('import') || name.includes('runtime.js') ? fmt(result.reference[name] - esmBase) : '']),
);
console.log(`node boot to user code (performance.now() in -e): ${userCode.toFixed(2)} ms`);
console.log(`took ${seconds.toFixed(1)} s`);
console.log(JSON.stringify(rounded(result)));
