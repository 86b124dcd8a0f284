// Cold CLI (issue 4, benchmark 3): `node dist/cli/main.js run whoami` — a node process
// that loads the CLI, the shipped plugins and pino, then reexecs the whoami plugin in a
// child — against a bare `node -e 0`; and `run whoami --userns` (a new user namespace, self
// map). Every case is a separate process, rounds alternate (the order rotating); the
// headline is the median over the rounds of cli / node.
//
//   node bench/cli.js                             # --rounds 60 --warmup 5 --ref-rounds 15
//   setpriv --reuid=65534 --regid=65534 --clear-groups node bench/cli.js   # unprivileged
//
// Environment: a CLI user has their environment, so the headline cases get this process's
// environment, both the CLI and bare node (on this machine it holds NODE_EXTRA_CA_CERTS,
// which adds ≈ 45 ms to every node start; the CLI's own child gets an empty environment
// and does not pay it). The same pair with env {} is measured too. Then, for reference,
// separate processes showing what the CLI process loads (env {}).
// Prints tables, then one JSON line with every figure (milliseconds).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { fmt, interleave, machine, median, msSince, now, options, ratioMedian, rounded, stats, table, timeProcess } from './lib/stats.js';

const USAGE = 'usage: node bench/cli.js [--rounds N] [--warmup N] [--ref-rounds N]';
const opts = options(USAGE, { rounds: [60, 1], warmup: [5, 0], 'ref-rounds': [15, 1] });

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/cli/main.js');
const uid = process.getuid();
const started = now();

function whoami(extra, env, expectUid) {
  return async () => {
    const run = await timeProcess(process.execPath, [CLI, 'run', 'whoami', ...extra], { env, capture: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const report = JSON.parse(run.stdout);
    if (report.uid !== expectUid) throw new Error(`whoami ${extra.join(' ')} reported uid ${report.uid}, expected ${expectUid}`);
    return run.ms;
  };
}
const node = (env) => async () => (await timeProcess(process.execPath, ['-e', '0'], { env })).ms;

const callerEnv = process.env;
const cases = [
  ['node', node(callerEnv)],
  ['cli', whoami([], callerEnv, uid)],
  ['cliUserns', whoami(['--userns'], callerEnv, 0)],
  ['nodeEmptyEnv', node({})],
  ['cliEmptyEnv', whoami([], {}, uid)],
];
const { samples } = await interleave(cases, opts.rounds, opts.warmup);

// What the CLI process itself loads, each as a separate process (env {}, cwd this package).
const esm = (source) => ['--input-type=module', '-e', source];
const abs = (path) => JSON.stringify(join(ROOT, path));
const shipped = ['whoami', 'hostname', 'unpack', 'chown-tree'].map((p) => `import ${abs(`plugins/dist/${p}.js`)};`).join(' ');
const refs = [
  ['esm eval, nothing imported', () => timeProcess(process.execPath, esm(''), { cwd: ROOT })],
  ['node dist/cli/main.js --help', () => timeProcess(process.execPath, [CLI, '--help'], { cwd: ROOT })],
  ['import dist/cli/run.js (what `run` loads)', () => timeProcess(process.execPath, esm(`import ${abs('dist/cli/run.js')}`), { cwd: ROOT })],
  ["import 'pino'", () => timeProcess(process.execPath, esm("import 'pino'"), { cwd: ROOT })],
  ["import 'reexecer'", () => timeProcess(process.execPath, esm("import 'reexecer'"), { cwd: ROOT })],
  ["import 'tar' (the unpack plugin's)", () => timeProcess(process.execPath, esm("import 'tar'"), { cwd: ROOT })],
  ['import the 4 shipped plugins (what no manifest costs)', () => timeProcess(process.execPath, esm(shipped), { cwd: ROOT })],
  ['import plugins/dist/whoami.js only', () => timeProcess(process.execPath, esm(`import ${abs('plugins/dist/whoami.js')}`), { cwd: ROOT })],
];
// The CLI's steps timed inside one process: the modules dist/cli/main.js loads for \`run\`
// (its own imports and dist/cli/run.js, without running main), Reexecer.create over the
// shipped plugins, the reexec of whoami; the parent adds the process wall time, so
// exit = wall - the rest. (If main.js changes what it imports, change this too.)
// Run from a file, not with -e: the sandbox layer repeats the host's execArgv in the child,
// and an -e script would run again there instead of the child runtime.
const tmp = mkdtempSync(join(tmpdir(), 'reexecer-bench-cli-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
const phasesScript = join(tmp, 'cli-steps.mjs');
writeFileSync(
  phasesScript,
  `const boot = performance.now();
// what \`reexecer run\` loads: main.js's own imports, then the run command's module
await Promise.all(['errors.js', 'cli/args.js', 'cli/usage.js', 'cli/run.js'].map((m) => import(${abs('dist')} + '/' + m)));
const { Reexecer } = await import(${abs('dist/plugins/reexecer.js')});
const { SHIPPED_PLUGINS } = await import(${abs('dist/cli/plugins-dir.js')});
const { pino } = await import(${abs('node_modules/pino/pino.js')});
const t1 = performance.now();
const reexecer = await Reexecer.create({ plugins: [SHIPPED_PLUGINS], logger: pino({ level: 'info' }, pino.destination(2)) });
const t2 = performance.now();
// what the first reexec() imports lazily (the parent's sandbox code), timed on its own
await import(${abs('dist/sandbox/run.js')});
const t2b = performance.now();
const result = await reexecer.reexec('whoami', {});
const t3 = performance.now();
process.stdout.write(JSON.stringify({ boot, modules: t1 - boot, loadPlugins: t2 - t1, lazySandboxImport: t2b - t2, reexec: t3 - t2b, end: t3, child: result.durationMs, timings: result.timings }), () => process.exit(0));
`,
);
refs.push(['cli steps in one process (phases below)', async () => {
  const run = await timeProcess(process.execPath, [phasesScript], { cwd: ROOT, capture: true, timeoutMs: 30_000 });
  return { ms: run.ms, ...JSON.parse(run.stdout) };
}]);
const ref = await interleave(refs, opts['ref-rounds'], 1);
const steps = ref.raw['cli steps in one process (phases below)'];
const step = (f) => median(steps.map(f));
const phases = {
  nodeBoot: step((r) => r.boot),
  cliModules: step((r) => r.modules),
  loadShippedPlugins: step((r) => r.loadPlugins),
  lazySandboxImport: step((r) => r.lazySandboxImport),
  reexecWhoami: step((r) => r.reexec),
  runSandboxedDuration: step((r) => r.child),
  childExitToResult: step((r) => r.child - r.timings.actionDone),
  childNodeStartToRuntimeLoaded: step((r) => r.timings.runtimeLoaded),
  childPluginImport: step((r) => r.timings.moduleImported - r.timings.jobReceived),
  childRun: step((r) => r.timings.actionDone - r.timings.rootChanged),
  exit: step((r) => r.ms - r.end),
  wall: step((r) => r.ms),
};
const seconds = msSince(started) / 1000;

const result = {
  bench: 'cold reexecer run whoami vs node -e 0',
  rounds: opts.rounds,
  warmup: opts.warmup,
  refRounds: opts['ref-rounds'],
  ...machine(),
  callerEnvHasNodeExtraCaCerts: 'NODE_EXTRA_CA_CERTS' in callerEnv,
  ms: Object.fromEntries(Object.entries(samples).map(([name, v]) => [name, stats(v)])),
  ratio: {
    cli: ratioMedian(samples.cli, samples.node),
    cliUserns: ratioMedian(samples.cliUserns, samples.node),
    cliEmptyEnv: ratioMedian(samples.cliEmptyEnv, samples.nodeEmptyEnv),
  },
  reference: Object.fromEntries(Object.entries(ref.samples).map(([name, v]) => [name, median(v)])),
  phases,
  seconds,
};

console.log(`cold CLI: ${opts.rounds} interleaved rounds after ${opts.warmup} warm-up; uid ${uid}, node ${result.node}, ${result.cpus} cpus, load ${result.loadavg.join(' ')}; caller env ${result.callerEnvHasNodeExtraCaCerts ? 'has' : 'lacks'} NODE_EXTRA_CA_CERTS`);
const rows = [
  ['node dist/cli/main.js run whoami (caller env)', 'cli', 'node'],
  ['node dist/cli/main.js run whoami --userns (caller env)', 'cliUserns', 'node'],
  ['node -e 0 (caller env)', 'node', null],
  ['node dist/cli/main.js run whoami (env {})', 'cliEmptyEnv', 'nodeEmptyEnv'],
  ['node -e 0 (env {})', 'nodeEmptyEnv', null],
];
table(
  ['case', 'median ms', 'p90 ms', 'min ms', 'ratio (median of x/node, same env)'],
  rows.map(([label, name, base]) => {
    const s = result.ms[name];
    return [label, fmt(s.median), fmt(s.p90), fmt(s.min), base ? result.ratio[name].toFixed(3) : '1'];
  }),
);
console.log(`\nreference: what the CLI process loads, separate processes, env {}, median of ${opts['ref-rounds']}:`);
const base = result.reference['esm eval, nothing imported'];
table(
  ['process', 'median ms', 'minus esm eval'],
  Object.keys(ref.samples).map((name) => [name, fmt(result.reference[name]), fmt(result.reference[name] - base)]),
);
console.log('\nthe CLI\'s steps (env {}, median of each, ms):');
table(
  ['step', 'median ms'],
  [
    ['node boot to user code', fmt(phases.nodeBoot)],
    ["CLI modules for `run` (main.js's, run.js: pino, plugins, inversify)", fmt(phases.cliModules)],
    ['Reexecer.create: loadPlugins(shipped plugins dir)', fmt(phases.loadShippedPlugins)],
    ["first reexec's lazy import of dist/sandbox/run.js", fmt(phases.lazySandboxImport)],
    ["reexec('whoami'): call to result", fmt(phases.reexecWhoami)],
    ['  runSandboxed (spawn to result)', fmt(phases.runSandboxedDuration)],
    ['  child: node start -> runtime loaded', fmt(phases.childNodeStartToRuntimeLoaded)],
    ["  child: import whoami.js (and 'reexecer')", fmt(phases.childPluginImport)],
    ['  child: run()', fmt(phases.childRun)],
    ['  spawn, and after run(): report, exit, reap (durationMs - actionDone)', fmt(phases.childExitToResult)],
    ['exit (wall - the rest)', fmt(phases.exit)],
    ['wall', fmt(phases.wall)],
  ],
);
console.log(`took ${seconds.toFixed(1)} s`);
console.log(JSON.stringify(rounded(result)));
