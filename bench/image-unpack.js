// Unpacking an OCI image (issue 10): `reexecer image-unpack` (the CLI: a host Node process
// reading the layout, then one sandboxed child — user namespace with a 65536-id range,
// chroot into the rootfs — applying every layer, all digests checked) against `umoci
// unpack --rootless` (Debian package umoci) of the same image, as processes, rounds
// alternating (the order rotating). Headline: the median over the rounds of umoci's time
// over ours (> 1: we are faster). The trees are compared once: paths, types, modes, sizes,
// contents, link targets, owners (ours through the map: host 100000 + the layer's id,
// which is 0 for this tree; umoci --rootless gives every entry to the caller, root).
//
//   node bench/image-unpack.js                 # --rounds 5 --warmup 1 --dir $TMPDIR
//   node bench/image-unpack.js --dir /dev/shm
//
// The image is built with umoci from a real tree: this project's node_modules as layer 1
// (umoci insert); layer 2 (umoci unpack --rootless, changes, umoci repack) deletes a
// package directory and a few files, changes some, adds one. Root only (umoci and the
// map). Prints a table, then one JSON line with every figure.
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { fmt, interleave, machine, median, msSince, now, options, rounded, stats, table, timeProcess } from './lib/stats.js';
import { treeDigest } from './lib/tree.js';

const USAGE = 'usage: node bench/image-unpack.js [--rounds N] [--warmup N] [--dir DIR] [--keep]';
const opts = options(USAGE, { rounds: [5, 1], warmup: [1, 0] }, { keep: { type: 'boolean', default: false }, dir: { type: 'string', default: tmpdir() } });
if (process.getuid() !== 0) {
  console.error('root only: umoci builds the image and the bench maps a 65536-id range');
  process.exit(2);
}
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/cli/main.js');
const started = now();
const tmp = mkdtempSync(join(opts.dir, 'reexecer-bench-image-'));
chmodSync(tmp, 0o755); // the mapped root (host 100000) passes through to its rootfs
process.on('exit', () => {
  if (!opts.keep) rmSync(tmp, { recursive: true, force: true });
});
const fsType = spawnSync('stat', ['-f', '-c', '%T', tmp], { encoding: 'utf8' }).stdout.trim().replace('ext2/ext3', 'ext4');

const umoci = (...args) => execFileSync('umoci', args, { stdio: ['ignore', 'pipe', 'pipe'] });
const buildStart = now();
const layout = join(tmp, 'layout');
umoci('init', '--layout', layout);
umoci('new', '--image', `${layout}:img`);
umoci('insert', '--image', `${layout}:img`, join(ROOT, 'node_modules'), '/node_modules');
const bundle = join(tmp, 'build-bundle');
umoci('unpack', '--rootless', '--image', `${layout}:img`, bundle);
const rootfs = join(bundle, 'rootfs', 'node_modules');
rmSync(join(rootfs, 'esbuild'), { recursive: true, force: true });
rmSync(join(rootfs, 'typescript/lib/lib.dom.d.ts'), { force: true });
rmSync(join(rootfs, 'pino/README.md'), { force: true });
writeFileSync(join(rootfs, 'pino/package.json'), '{"name":"pino","changed":true}\n');
appendFileSync(join(rootfs, 'inversify/package.json'), '\n');
mkdirSync(join(rootfs, '.added'));
writeFileSync(join(rootfs, '.added/new-file'), 'new\n');
umoci('repack', '--image', `${layout}:img`, bundle);
rmSync(bundle, { recursive: true });
const buildMs = msSince(buildStart);

let serial = 0;
const fresh = (label) => join(tmp, `${label}-${serial++}`);
const checks = {};
const MAP = ['--map-uid', '0:100000:65536', '--map-gid', '0:100000:65536'];

async function ours() {
  const dir = fresh('ours');
  const { ms } = await timeProcess(process.execPath, [CLI, 'image-unpack', layout, 'img', dir, ...MAP], { env: { PATH: process.env.PATH } });
  checks.ours ??= treeDigest(dir, { uidBase: 100000 });
  spawnSync('sync');
  return ms;
}

async function theirs() {
  const dir = fresh('umoci');
  const { ms } = await timeProcess('umoci', ['unpack', '--rootless', '--image', `${layout}:img`, dir], { env: { PATH: process.env.PATH } });
  checks.umoci ??= treeDigest(join(dir, 'rootfs'), { uidBase: 0 });
  spawnSync('sync');
  return ms;
}

spawnSync('sync');
const { samples } = await interleave(
  [
    ['reexecer image-unpack', ours],
    ['umoci unpack --rootless', theirs],
  ],
  opts.rounds,
  opts.warmup,
);
if (checks.ours.digest !== checks.umoci.digest) {
  const a = checks.ours.lines;
  const b = new Set(checks.umoci.lines);
  throw new Error(`the trees differ: ${a.filter((l) => !b.has(l)).slice(0, 5).join(' | ')}`);
}
const o = samples['reexecer image-unpack'];
const u = samples['umoci unpack --rootless'];
const ratios = o.map((v, i) => u[i] / v);
const result = {
  bench: 'reexecer image-unpack vs umoci unpack --rootless',
  rounds: opts.rounds,
  warmup: opts.warmup,
  dir: tmp,
  fsType,
  ...machine(),
  image: { entries: checks.ours.lines.length, buildMs },
  ms: { ours: stats(o), umoci: stats(u) },
  speedup: { median: median(ratios), perRound: ratios, best: Math.min(...u) / Math.min(...o) },
  runsMs: samples,
  treesIdentical: true,
  seconds: msSince(started) / 1000,
};
result.ok = result.speedup.median > 1;
console.log(`image: this project's node_modules (${result.image.entries} entries after layer 2) in ${tmp} (${fsType}); ${opts.rounds} interleaved rounds after ${opts.warmup} warm-up; node ${result.node}, ${result.cpus} cpus, load ${result.loadavg.join(' ')}`);
table(
  ['case', 'median ms', 'p90 ms', 'min ms'],
  [
    ['reexecer image-unpack (CLI, range map)', fmt(result.ms.ours.median), fmt(result.ms.ours.p90), fmt(result.ms.ours.min)],
    ['umoci unpack --rootless', fmt(result.ms.umoci.median), fmt(result.ms.umoci.p90), fmt(result.ms.umoci.min)],
  ],
);
console.log(`umoci / ours (median of per-round ratios): ${result.speedup.median.toFixed(3)}; per round: ${ratios.map((r) => r.toFixed(3)).join(' ')}; best vs best: ${result.speedup.best.toFixed(3)}`);
console.log('trees identical: paths, types, modes, sizes, contents, link targets, owners through the map');
console.log(`target: faster than umoci -> ${result.ok ? 'met' : 'NOT met'}; the bench took ${result.seconds.toFixed(1)} s`);
console.log(JSON.stringify(rounded(result)));
