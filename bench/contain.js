// What containing hostile code costs per call (issue 11): the sandbox layer's
// reexec('noop', { cloneUserns: true, chrootDir }) with the defaults (seccomp filter +
// Landlock scoping) against the same call with seccomp: false, with a landlock tree, with
// rlimits, and with a memory limit (which adds --max-old-space-size to the child), all
// interleaved in one run; then the native layer's spawn of /bin/true with and without
// Landlock scoping and rlimits (what they cost between clone and exec).
//
//   node bench/contain.js                      # --pairs 60 --warmup 5 --spawn-pairs 300
//   setpriv --reuid=65534 --regid=65534 --clear-groups node bench/contain.js   # unprivileged
//
// Per case: median, p90, min in ms, and the median over the rounds of case / seccomp:false
// (the cheapest). The child's own timeline says how long installing the filter and
// enforcing Landlock took inside it (rootChanged -> contained). Last line: JSON.
import { chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { pino } from 'pino';
import { ROOT_DEFAULT_HOST_ID, spawnSandboxed } from 'reexecer/native';

import './lib/noop-action.js';
import { lookup } from '../dist/sandbox/registry.js';
import { runSandboxed } from '../dist/sandbox/run.js';
import { fmt, interleave, machine, median, msSince, now, options, ratioMedian, rounded, stats, table } from './lib/stats.js';

const USAGE = 'usage: node bench/contain.js [--pairs N] [--warmup N] [--spawn-pairs N]';
const opts = options(USAGE, { pairs: [60, 1], warmup: [5, 0], 'spawn-pairs': [300, 1] });

const chrootDir = mkdtempSync(join(tmpdir(), 'reexecer-bench-contain-'));
mkdirSync(join(chrootDir, 'out'));
// As root the child is root of the default map, host ids from ROOT_DEFAULT_HOST_ID: it must be able to enter the dir.
if (process.geteuid() === 0) for (const dir of [chrootDir, join(chrootDir, 'out')]) chownSync(dir, ROOT_DEFAULT_HOST_ID, ROOT_DEFAULT_HOST_ID);
process.on('exit', () => rmSync(chrootDir, { recursive: true, force: true }));
const logger = pino({ level: 'silent' });
const registration = lookup('noop');

const base = { namespaces: ['user'], chrootDir };
const SPECS = {
  seccompOff: { ...base, seccomp: false },
  defaults: base,
  landlock: { ...base, landlock: { read: ['/'], write: ['/out'] } },
  rlimits: { ...base, limits: { cpuMs: 60_000, fileSizeBytes: 1 << 30, openFiles: 1024 } },
  memory: { ...base, limits: { memoryBytes: 1 << 30 } },
};
const call = (spec) => async () => {
  const start = now();
  const result = await runSandboxed(registration, spec, logger);
  return { ms: msSince(start), inChild: result.timings.contained - result.timings.rootChanged };
};
const started = now();
const reexecs = await interleave(
  Object.entries(SPECS).map(([name, spec]) => [name, call(spec)]),
  opts.pairs,
  opts.warmup,
);
const ms = (name) => reexecs.raw[name].map((r) => r.ms);

const spawnTrue = (extra) => async () => {
  const start = now();
  const child = await spawnSandboxed({ file: '/bin/true', namespaces: ['user'], stdio: ['ignore', 'ignore', 'ignore'], ...extra });
  await child.exited;
  return msSince(start);
};
const spawns = await interleave(
  [
    ['plain', spawnTrue({})],
    ['landlockScope', spawnTrue({ landlockScope: true })],
    ['rlimits', spawnTrue({ limits: { cpuMs: 60_000, fileSizeBytes: 1 << 30, openFiles: 1024, memoryBytes: 1 << 30 } })],
  ],
  opts['spawn-pairs'],
  opts.warmup,
);

const result = {
  bench: 'containment per call: reexec noop (userns + chroot) by option; spawnSandboxed /bin/true by option',
  pairs: opts.pairs,
  spawnPairs: opts['spawn-pairs'],
  ...machine(),
  reexecMs: Object.fromEntries(Object.keys(SPECS).map((name) => [name, stats(ms(name))])),
  reexecRatioToSeccompOff: Object.fromEntries(Object.keys(SPECS).map((name) => [name, ratioMedian(ms(name), ms('seccompOff'))])),
  reexecDeltaMs: Object.fromEntries(Object.keys(SPECS).map((name) => [name, median(ms(name)) - median(ms('seccompOff'))])),
  inChildContainMs: Object.fromEntries(Object.keys(SPECS).map((name) => [name, median(reexecs.raw[name].map((r) => r.inChild))])),
  spawnMs: Object.fromEntries(Object.entries(spawns.samples).map(([name, v]) => [name, stats(v)])),
  spawnRatioToPlain: Object.fromEntries(Object.keys(spawns.samples).map((name) => [name, ratioMedian(spawns.samples[name], spawns.samples.plain)])),
  seconds: msSince(started) / 1000,
};

console.log(`containment: ${opts.pairs} interleaved rounds of reexec, ${opts['spawn-pairs']} of spawn; uid ${result.uid}, node ${result.node}, linux ${result.kernel}, load ${result.loadavg.join(' ')}`);
const LABELS = {
  seccompOff: 'seccomp: false (scoping only)',
  defaults: 'defaults (filter + scoping)',
  landlock: "defaults + landlock { read: ['/'], write: ['/out'] }",
  rlimits: 'defaults + limits (cpu, fileSize, openFiles)',
  memory: 'defaults + limits.memoryBytes (heap flag)',
};
table(
  ['reexec case', 'median ms', 'p90 ms', 'min ms', 'x / seccomp:false', 'in-child contain ms'],
  Object.keys(SPECS).map((name) => [
    LABELS[name],
    fmt(result.reexecMs[name].median),
    fmt(result.reexecMs[name].p90),
    fmt(result.reexecMs[name].min),
    result.reexecRatioToSeccompOff[name].toFixed(3),
    fmt(result.inChildContainMs[name], 6, 3),
  ]),
);
table(
  ['spawnSandboxed /bin/true (userns)', 'median ms', 'p90 ms', 'min ms', 'x / plain'],
  Object.keys(spawns.samples).map((name) => [name, fmt(result.spawnMs[name].median), fmt(result.spawnMs[name].p90), fmt(result.spawnMs[name].min), result.spawnRatioToPlain[name].toFixed(3)]),
);
console.log(`took ${result.seconds.toFixed(1)} s`);
console.log(JSON.stringify(rounded(result)));
