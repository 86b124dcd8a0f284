// Shared helpers for the benchmarks: statistics, option parsing, timing child processes,
// interleaved rounds and the table printed before the final JSON line.
import { spawn, spawnSync } from 'node:child_process';
import { cpus, loadavg, release } from 'node:os';
import { parseArgs } from 'node:util';

/** Linear-interpolated quantile of `values` (not modified). */
export function quantile(values, q) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export const median = (values) => quantile(values, 0.5);

export function stats(values) {
  return {
    median: quantile(values, 0.5),
    p90: quantile(values, 0.9),
    min: Math.min(...values),
    mean: values.reduce((a, b) => a + b, 0) / values.length,
    n: values.length,
  };
}

/** Median over the rounds of a[i] / b[i]: both sides of a round saw the same machine state. */
export function ratioMedian(a, b) {
  return median(a.map((v, i) => v / b[i]));
}

/** Rounds numbers for the JSON line (3 decimals) without touching the structure. */
export function rounded(value) {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.round(value * 1000) / 1000 : value;
  if (Array.isArray(value)) return value.map(rounded);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rounded(v)]));
  return value;
}

/**
 * parseArgs with integer options: `ints` maps an option name to [default, minimum].
 * `--help` prints `usage` and exits 0; a bad value exits 2.
 */
export function options(usage, ints, extra = {}) {
  const spec = { help: { type: 'boolean', short: 'h', default: false }, ...extra };
  for (const [name, [def]] of Object.entries(ints)) spec[name] = { type: 'string', default: String(def) };
  let values;
  try {
    ({ values } = parseArgs({ options: spec }));
  } catch (error) {
    console.error(`${error.message}\n${usage}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const out = { ...values };
  for (const [name, [, min]] of Object.entries(ints)) {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min) {
      console.error(`--${name} must be an integer >= ${min}, got ${JSON.stringify(values[name])}\n${usage}`);
      process.exit(2);
    }
    out[name] = n;
  }
  return out;
}

export const now = () => process.hrtime.bigint();
export const msSince = (start) => Number(process.hrtime.bigint() - start) / 1e6;

/**
 * Runs a process to its exit and resolves with the wall time in ms, from just before
 * spawn() until 'exit' (stdout collected when `capture`). Rejects on an unexpected exit.
 */
export function timeProcess(file, args, { env = {}, cwd, capture = false, expectCode = 0, stdio, onSpawn, timeoutMs = 120_000 } = {}) {
  return new Promise((resolve, reject) => {
    const start = now();
    const child = spawn(file, args, { env, cwd, stdio: stdio ?? ['ignore', capture ? 'pipe' : 'ignore', 'pipe'] });
    // A bench must not hang: a child past its time is killed and the bench fails.
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const out = [];
    const err = [];
    child.stdout?.on('data', (c) => out.push(c));
    child.stderr?.on('data', (c) => err.push(c));
    child.once('error', reject);
    onSpawn?.(child);
    child.once('exit', (code, signal) => {
      const ms = msSince(start);
      clearTimeout(timer);
      const finish = () => {
        if (code !== expectCode) {
          const tail = Buffer.concat(err).toString().trim().split('\n').slice(-8).join('\n');
          reject(new Error(`${[file, ...args].join(' ')} exited with ${code ?? signal} (expected ${expectCode})${tail ? `:\n${tail}` : ''}`));
        } else resolve({ ms, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
      };
      // 'exit' can come before the pipes are drained: wait for 'close' for the output, not the time.
      if (child.stdout || child.stderr) child.once('close', finish);
      else finish();
    });
  });
}

/**
 * `warmup` runs of each case, then `rounds` rounds running every case once, the order
 * rotating each round so that no case always goes first (warmer caches) or last.
 * A case is `[name, fn]` where fn resolves to a number (ms) or an object with `ms`;
 * returns { name: [values...] } and { name: [raw results...] }.
 */
export async function interleave(cases, rounds, warmup, { onRound } = {}) {
  for (let i = 0; i < warmup; i++) for (const [, run] of cases) await run();
  const samples = Object.fromEntries(cases.map(([name]) => [name, []]));
  const raw = Object.fromEntries(cases.map(([name]) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < cases.length; k++) {
      const [name, run] = cases[(round + k) % cases.length];
      const result = await run();
      samples[name].push(typeof result === 'number' ? result : result.ms);
      raw[name].push(result);
    }
    onRound?.(round);
  }
  return { samples, raw };
}

/** What the machine looked like (2 cores here, and other test suites may be running). */
export function machine() {
  const git = spawnSync('git', ['-c', 'safe.directory=*', 'rev-parse', '--short', 'HEAD'], { cwd: new URL('../..', import.meta.url), encoding: 'utf8' });
  return {
    uid: process.getuid(),
    node: process.version,
    kernel: release(),
    cpus: cpus().length,
    loadavg: loadavg().map((l) => Math.round(l * 100) / 100),
    commit: git.status === 0 ? git.stdout.trim() : null,
  };
}

export const fmt = (n, width = 9, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : String(n)).padStart(width);

/** Prints rows of [label, ...cells] with a header, the first column padded to fit. */
export function table(header, rows) {
  const width = Math.max(header[0].length, ...rows.map((r) => r[0].length));
  const widths = header.slice(1).map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i + 1] ?? '').length)));
  const line = (cells) => [cells[0].padEnd(width), ...cells.slice(1).map((c, i) => String(c ?? '').padStart(widths[i]))].join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}

/**
 * Medians of the child's phases from runSandboxed/reexec results ({ timings } in ms since
 * the child's start): node boot + runtime bundle, job over fd 3, module import, logger +
 * chroot, the action. The benches add their own parent-side phases around these.
 */
export function childPhases(results) {
  const phase = (f) => median(results.map((r) => f(r.timings)));
  return {
    nodeStartToRuntimeLoaded: phase((t) => t.runtimeLoaded),
    jobReceived: phase((t) => t.jobReceived - t.runtimeLoaded),
    moduleImport: phase((t) => t.moduleImported - t.jobReceived),
    chroot: phase((t) => t.rootChanged - t.moduleImported),
    action: phase((t) => t.actionDone - t.rootChanged),
  };
}
