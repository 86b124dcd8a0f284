// Host start with 1000 plugin files (issue 4, benchmark 1): a fresh node process that
// runs loadPlugins([dir], { manifest: 'ignore' }) — it imports every file — against one
// that finds a fresh reexecer.manifest.json and registers the plugins without importing
// any. Each case is a separate process; they alternate (the order rotating every round).
//
//   node bench/plugins-load.js                   # --plugins 1000 --rounds 20 --warmup 2
//
// The plugins are plain JS that apply the decorator by hand (Node 20 has no decorator
// syntax), spread over 10 subdirectories:
//   import { Sandboxed } from 'reexecer'; class P0 { run() { return 0 } }; Sandboxed({ id: 'p0' })(P0); export { P0 };
// The manifest is written first with `node dist/cli/main.js manifest <dir>`. Every host
// process reports the time of the loadPlugins call (inside the process) and how many
// plugin modules it imported (the manifest case must import none); the wall time of the
// whole process (spawn to exit) is measured here. A third case, loadPlugins([]), is the
// floor: node start + importing reexecer; a fourth imports the same files all at once
// with Promise.all (no loadPlugins), for reference. All processes get env {} (this machine's
// NODE_EXTRA_CA_CERTS would add ≈ 45 ms to each).
// Prints a table, then one JSON line with every figure (milliseconds).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { fmt, interleave, machine, msSince, now, options, ratioMedian, rounded, stats, table, timeProcess } from './lib/stats.js';

const TARGET_RATIO = 0.1;
const USAGE = 'usage: node bench/plugins-load.js [--plugins N] [--rounds N] [--warmup N]';
const opts = options(USAGE, { plugins: [1000, 1], rounds: [20, 1], warmup: [2, 0] });

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/cli/main.js');
const started = now();

// The temp tree: package.json (ESM), node_modules/reexecer -> this package, plugins/, host.js.
const tmp = mkdtempSync(join(tmpdir(), 'reexecer-bench-plugins-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
writeFileSync(join(tmp, 'package.json'), '{ "type": "module", "private": true }\n');
mkdirSync(join(tmp, 'node_modules'));
symlinkSync(ROOT, join(tmp, 'node_modules', 'reexecer'), 'dir');
const dir = join(tmp, 'plugins');
const SUBDIRS = 10;
for (let s = 0; s < SUBDIRS; s++) mkdirSync(join(dir, `group-${s}`), { recursive: true });
for (let i = 0; i < opts.plugins; i++) {
  const source = [
    "import { Sandboxed } from 'reexecer';",
    'globalThis.__benchPluginsImported = (globalThis.__benchPluginsImported ?? 0) + 1;',
    `class P${i} { run() { return ${i}; } }`,
    `Sandboxed({ id: 'p${i}' })(P${i});`,
    `export { P${i} };`,
    '',
  ].join('\n');
  writeFileSync(join(dir, `group-${i % SUBDIRS}`, `p${i}.js`), source);
}
const host = join(tmp, 'host.js');
writeFileSync(
  host,
  `import { readdirSync } from 'node:fs';
const bootToUser = performance.now();
const { loadPlugins } = await import('reexecer');
const t0 = performance.now();
const mode = process.argv[2];
let plugins;
if (mode === 'parallel') {
  // reference: the same files imported all at once, without loadPlugins' bookkeeping
  const files = readdirSync(${JSON.stringify(dir)}, { recursive: true }).filter((f) => f.endsWith('.js')).map((f) => ${JSON.stringify(dir)} + '/' + f);
  plugins = await Promise.all(files.map((f) => import(f)));
} else plugins = await loadPlugins(mode === 'none' ? [] : [${JSON.stringify(dir)}], { manifest: mode === 'none' ? 'auto' : mode });
const t1 = performance.now();
process.stdout.write(JSON.stringify({ bootToUser, importReexecer: t0 - bootToUser, loadPlugins: t1 - t0, plugins: plugins.length, imported: globalThis.__benchPluginsImported ?? 0 }));
`,
);

const manifestStart = now();
const written = await timeProcess(process.execPath, [CLI, 'manifest', dir], { capture: true });
const manifestMs = msSince(manifestStart);
const manifest = JSON.parse(readFileSync(join(dir, 'reexecer.manifest.json'), 'utf8'));
if (manifest.plugins.length !== opts.plugins) throw new Error(`the manifest lists ${manifest.plugins.length} plugins, not ${opts.plugins}: ${written.stdout}`);

function hostRun(mode, expectPlugins, expectImported) {
  return async () => {
    const run = await timeProcess(process.execPath, [host, mode], { capture: true, cwd: tmp });
    const report = JSON.parse(run.stdout);
    if (report.plugins !== expectPlugins || report.imported !== expectImported)
      throw new Error(`host (${mode}) loaded ${report.plugins} plugins and imported ${report.imported} files; expected ${expectPlugins} and ${expectImported}`);
    return { ms: run.ms, ...report };
  };
}

const cases = [
  ['importAll', hostRun('ignore', opts.plugins, opts.plugins)],
  ['manifest', hostRun('auto', opts.plugins, 0)],
  ['none', hostRun('none', 0, 0)],
  ['parallel', hostRun('parallel', opts.plugins, opts.plugins)],
];
const { samples, raw } = await interleave(cases, opts.rounds, opts.warmup);
const inner = (name, key) => raw[name].map((r) => r[key]);
const seconds = msSince(started) / 1000;

const result = {
  bench: `host start with ${opts.plugins} plugin files: loadPlugins importing all vs a fresh manifest`,
  plugins: opts.plugins,
  rounds: opts.rounds,
  warmup: opts.warmup,
  ...machine(),
  manifestCommandMs: manifestMs,
  processMs: Object.fromEntries(Object.entries(samples).map(([name, v]) => [name, stats(v)])),
  loadPluginsMs: Object.fromEntries(Object.keys(samples).map((name) => [name, stats(inner(name, 'loadPlugins'))])),
  importReexecerMs: stats(Object.keys(samples).flatMap((name) => inner(name, 'importReexecer'))),
  bootToUserMs: stats(Object.keys(samples).flatMap((name) => inner(name, 'bootToUser'))),
  ratio: {
    loadPlugins: ratioMedian(inner('manifest', 'loadPlugins'), inner('importAll', 'loadPlugins')),
    process: ratioMedian(samples.manifest, samples.importAll),
    // the process minus the floor (node start + import reexecer), per round
    processAboveFloor: ratioMedian(
      samples.manifest.map((v, i) => v - samples.none[i]),
      samples.importAll.map((v, i) => v - samples.none[i]),
    ),
  },
  target: TARGET_RATIO,
  seconds,
};
result.ok = result.ratio.loadPlugins <= TARGET_RATIO;

console.log(`loadPlugins with ${opts.plugins} plugin files: ${opts.rounds} interleaved rounds after ${opts.warmup} warm-up; uid ${result.uid}, node ${result.node}, ${result.cpus} cpus, load ${result.loadavg.join(' ')}`);
const labels = {
  importAll: "loadPlugins([dir], { manifest: 'ignore' })",
  manifest: 'loadPlugins([dir]) (fresh manifest)',
  none: 'loadPlugins([]) (floor)',
  parallel: 'reference: Promise.all(files.map(import))',
};
table(
  ['case', 'loadPlugins median', 'p90', 'process median', 'p90', 'min'],
  Object.keys(samples).map((name) => {
    const l = result.loadPluginsMs[name];
    const p = result.processMs[name];
    return [labels[name], fmt(l.median), fmt(l.p90), fmt(p.median), fmt(p.p90), fmt(p.min)];
  }),
);
console.log(`in every process: node boot to user code ${result.bootToUserMs.median.toFixed(2)} ms, import 'reexecer' ${result.importReexecerMs.median.toFixed(2)} ms (medians)`);
console.log(`manifest ratio (median of per-round manifest/importAll): loadPlugins call ${result.ratio.loadPlugins.toFixed(3)}, whole process ${result.ratio.process.toFixed(3)}, process above the floor ${result.ratio.processAboveFloor.toFixed(3)}`);
console.log(`target: loadPlugins manifest/importAll <= ${TARGET_RATIO} -> ${result.ok ? 'met' : 'NOT met'}`);
console.log(`\`reexecer manifest\` for ${opts.plugins} files took ${manifestMs.toFixed(0)} ms; the bench took ${seconds.toFixed(1)} s`);
console.log(JSON.stringify(rounded(result)));
