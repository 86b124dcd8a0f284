// Unpacking a layer (issue 10): the shipped `unpack` plugin — a Node child in a new user
// namespace, chrooted into a fresh empty directory, extracting with reexecer's own
// extractor (native/extract.cc) — against GNU `tar -xf` of the same file into a fresh
// directory, as the same user, on ext4 and on tmpfs in ONE run. Rounds alternate the four
// cases (the order rotating); per file system the headline is the median over the rounds
// of the throughput ratio ours / GNU (MB/s of archive; target >= 1.0).
//
//   node bench/unpack.js                          # --rounds 5 --warmup 1 --dir $TMPDIR --dir /dev/shm
//   node bench/unpack.js --dir /tmp               # one file system only
//   node bench/unpack.js --files 20000 --mb 200 --rounds 5 --delete-between
//
// The archive is generated (bench/lib/tar-tree.js), one copy on each file system: 1 000
// directories up to 4 deep, 20 000 files (half under 2 KB, a few of several MB), 500
// symlinks, 100 hardlinks, all owned by 0:0 (so the default self map applies every
// owner). `sync` runs before each timed run (not timed), so no run pays for the previous
// one's dirty pages.
//
// Output directories are kept until the end (about 0.2 GB per run and file system) and
// removed then, because on ext4 removing files makes creating files slow for the next
// minutes: ext4_create() skips inodes freed less than 60-300 s ago (recently_deleted(),
// which reads each one's inode-table block), and after removing a 20 000-file tree that
// made GNU tar take 7-10 s of system CPU instead of 0.8 s here (perf: 61% of samples in
// recently_deleted). Whoever removes big trees on the same file system (another test
// suite, the previous run of this bench) slows the next minutes of this bench: each
// ext4 run is checked by timing file creation before and after (see createProbe), and
// flagged "disturbed" when it is slow. `--delete-between` removes each output before the
// next run, to see it.
//
// The plugin declares chroot + userns: as root the map is root's default map
// (namespace 0 -> host ROOT_DEFAULT_HOST_ID, never host root). Root only: an unprivileged caller could run it too, but GNU
// tar would then differ from us in what it can apply (owners).
// Prints a table, then one JSON line with every figure.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

import { pino } from 'pino';
import { Reexecer } from 'reexecer';
import { ROOT_DEFAULT_HOST_ID } from 'reexecer/native';

import { childPhases, fmt, interleave, machine, median, msSince, now, options, rounded, stats, table, timeProcess } from './lib/stats.js';
import { writeLayerTar } from './lib/tar-tree.js';
import { treeDigest } from './lib/tree.js';

const TARGET_RATIO = 1.0;
const USAGE = 'usage: node bench/unpack.js [--rounds N] [--warmup N] [--files N] [--mb N] [--dir DIR]... [--delete-between] [--keep]';
const opts = options(
  USAGE,
  { rounds: [5, 1], warmup: [1, 0], files: [20_000, 1], mb: [200, 1] },
  { keep: { type: 'boolean', default: false }, 'delete-between': { type: 'boolean', default: false }, dir: { type: 'string', multiple: true, default: [tmpdir(), '/dev/shm'] } },
);

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const started = now();
const fsTypeOf = (dir) => spawnSync('stat', ['-f', '-c', '%T', dir], { encoding: 'utf8' }).stdout.trim().replace('ext2/ext3', 'ext4');

// ~16.6 MB of the 20 000-file archive are headers and padding: aim the content so the
// archive comes out at about --mb MB.
const overhead = opts.files * 830;
const sites = opts.dir.map((base) => {
  const tmp = mkdtempSync(join(base, 'reexecer-bench-unpack-'));
  chmodSync(tmp, 0o755); // root's default map makes the unpacker another host id, which must pass through
  const tarPath = join(tmp, 'layer.tar');
  const genStart = now();
  const layer = writeLayerTar(tarPath, { files: opts.files, dirs: Math.max(1, Math.round(opts.files / 20)), totalBytes: Math.max(opts.files, opts.mb * 1e6 - overhead) });
  return { tmp, tarPath, layer, fsType: fsTypeOf(tmp), label: `${fsTypeOf(tmp)} ${base}`, generateMs: msSince(genStart), serial: 0, checks: {} };
});
process.on('exit', () => {
  if (!opts.keep) for (const site of sites) rmSync(site.tmp, { recursive: true, force: true });
});
if (!opts['delete-between']) {
  for (const site of sites) {
    const { bavail, bsize } = statfsSync(site.tmp);
    const needed = 2 * (opts.rounds + opts.warmup) * site.layer.bytes * 1.2;
    if (bavail * bsize < needed + 0.5e9) {
      console.error(`${(needed / 1e9).toFixed(1)} GB needed in ${site.tmp} to keep every output until the end; ${((bavail * bsize) / 1e9).toFixed(1)} GB free: use --delete-between or fewer --rounds`);
      process.exit(1);
    }
  }
}

let logLines = 0;
const sink = new Writable({
  write(chunk, _encoding, callback) {
    for (const byte of chunk) if (byte === 10) logLines++;
    callback();
  },
});
const logger = pino({ level: 'info' }, sink);
const reexecer = await Reexecer.create({ plugins: [join(ROOT, 'plugins/dist')], logger });

function freshDir(site, label) {
  const dir = join(site.tmp, `${label}-${site.serial++}`);
  mkdirSync(dir);
  // As GrootFS does: the layer dir belongs to the namespace's root (root's default map: not host root).
  if (label === 'ours' && process.geteuid() === 0) chownSync(dir, ROOT_DEFAULT_HOST_ID, ROOT_DEFAULT_HOST_ID);
  return dir;
}
/** Not timed: flush dirty pages; with --delete-between, remove what the last run wrote first. */
function settle(dir) {
  if (opts['delete-between']) rmSync(dir, { recursive: true, force: true });
  spawnSync('sync');
}
/**
 * Every entry with its type, mode, owner (ours through root's default map), size, content,
 * link target and the mtime of files and symlinks: the two sides must agree. Not directory
 * mtimes: GNU tar leaves the extraction time on directories that get a symlink or hardlink
 * (it makes those at the end, after restoring the directory's mtime); we keep the archive's.
 */
const tree = (dir, uidBase) => treeDigest(dir, { uidBase, mtimes: true }).digest;

const ours = (site) => async () => {
  const dir = freshDir(site, 'ours');
  const start = now();
  const result = await reexecer.reexec('unpack', { files: [site.tarPath], chroot: dir });
  const ms = msSince(start);
  const value = result.value;
  if (value.entries !== site.layer.entries || value.warnings !== 0) throw new Error(`unpack reported ${JSON.stringify(value)}; the archive has ${site.layer.entries} entries`);
  site.checks.ours ??= tree(dir, process.geteuid() === 0 ? ROOT_DEFAULT_HOST_ID : 0);
  settle(dir);
  return { ms, durationMs: result.durationMs, timings: result.timings };
};

const gnu = (site) => async () => {
  const dir = freshDir(site, 'gnu');
  const { ms } = await timeProcess('tar', ['-xf', site.tarPath, '-C', dir], { env: process.env });
  site.checks.gnu ??= tree(dir, 0);
  settle(dir);
  return ms;
};

/**
 * How long creating an empty file takes here now (µs, median of 2000 in a fresh directory,
 * kept until the end): ≈ 20 µs normally; hundreds when ext4 is skipping recently freed
 * inodes, which disturbs both sides (see above).
 */
function createProbe(site) {
  const dir = freshDir(site, 'probe');
  const times = [];
  for (let i = 0; i < 2000; i++) {
    const start = now();
    closeSync(openSync(join(dir, `p${i}`), 'wx'));
    times.push(msSince(start) * 1000);
  }
  return median(times);
}

spawnSync('sync');
for (const site of sites) site.createUsBefore = createProbe(site);
const { samples, raw } = await interleave(
  sites.flatMap((site) => [
    [`ours ${site.label}`, ours(site)],
    [`gnu ${site.label}`, gnu(site)],
  ]),
  opts.rounds,
  opts.warmup,
);
for (const site of sites) site.createUsAfter = createProbe(site);

const spread = (v) => median(v) / Math.min(...v);
const perSite = sites.map((site) => {
  if (site.checks.ours !== site.checks.gnu) throw new Error(`the trees differ on ${site.label}: ours ${site.checks.ours}, GNU tar ${site.checks.gnu}`);
  const MB = site.layer.bytes / 1e6;
  const mbps = (ms) => MB / (ms / 1000);
  const o = samples[`ours ${site.label}`];
  const g = samples[`gnu ${site.label}`];
  const ratios = o.map((v, i) => mbps(v) / mbps(g[i]));
  const runs = raw[`ours ${site.label}`];
  const { action: unpackMs, ...child } = childPhases(runs);
  return {
    dir: site.tmp,
    fsType: site.fsType,
    archive: { ...site.layer, MB },
    generateMs: site.generateMs,
    ms: { ours: stats(o), gnu: stats(g) },
    MBps: { ours: mbps(median(o)), gnu: mbps(median(g)), oursUnpackOnly: mbps(unpackMs) },
    ratio: { throughput: median(ratios), perRound: ratios, best: mbps(Math.min(...o)) / mbps(Math.min(...g)) },
    runsMs: { ours: o, gnu: g },
    breakdown: { ...child, unpack: unpackMs, restOfCall: median(runs.map((r) => r.ms - r.timings.actionDone)) },
    createFileUs: { before: site.createUsBefore, after: site.createUsAfter },
    disturbed: spread(o) > 1.5 || spread(g) > 1.5 || (site.fsType === 'ext4' && Math.max(site.createUsBefore, site.createUsAfter) > 100),
    treesIdentical: true,
  };
});
const seconds = msSince(started) / 1000;
const result = {
  bench: 'unpack plugin (userns + chroot) vs GNU tar -xf, ext4 and tmpfs',
  rounds: opts.rounds,
  warmup: opts.warmup,
  deleteBetween: opts['delete-between'],
  ...machine(),
  sites: perSite,
  target: TARGET_RATIO,
  logLines,
  seconds,
};
result.ok = perSite.every((s) => s.ratio.throughput >= TARGET_RATIO);

const first = sites[0].layer;
console.log(
  `unpack ${(first.bytes / 1e6).toFixed(1)} MB, ${first.entries} entries (${first.files} files, ${first.dirs} dirs, ${first.symlinks} symlinks, ${first.hardlinks} hardlinks): ${opts.rounds} interleaved rounds after ${opts.warmup} warm-up; uid ${result.uid}, node ${result.node}, ${result.cpus} cpus, load ${result.loadavg.join(' ')}`,
);
table(
  ['file system', 'case', 'median ms', 'p90 ms', 'min ms', 'MB/s (median)'],
  perSite.flatMap((s) => [
    [`${s.fsType} ${s.dir}`, "reexec('unpack', { files, chroot }) userns+chroot", fmt(s.ms.ours.median), fmt(s.ms.ours.p90), fmt(s.ms.ours.min), fmt(s.MBps.ours)],
    ['', 'tar -xf (GNU tar)', fmt(s.ms.gnu.median), fmt(s.ms.gnu.p90), fmt(s.ms.gnu.min), fmt(s.MBps.gnu)],
  ]),
);
for (const s of perSite) {
  console.log(`${s.fsType}: throughput ratio ours/GNU (median of per-round ratios): ${s.ratio.throughput.toFixed(3)}; per round: ${s.ratio.perRound.map((r) => r.toFixed(3)).join(' ')}; best run vs best run: ${s.ratio.best.toFixed(3)}; trees identical (paths, types, modes, owners, sizes, contents, file and symlink mtimes, link targets)`);
  console.log(`  runs (ms): ours ${s.runsMs.ours.map((v) => v.toFixed(0)).join(' ')}; GNU ${s.runsMs.gnu.map((v) => v.toFixed(0)).join(' ')}; creating an empty file: ${s.createFileUs.before.toFixed(0)} µs before, ${s.createFileUs.after.toFixed(0)} µs after`);
  console.log(`  where our time goes (median ms): child start -> runtime ${fmt(s.breakdown.nodeStartToRuntimeLoaded)}, -> job ${fmt(s.breakdown.jobReceived)}, -> plugin imported ${fmt(s.breakdown.moduleImport)}, -> chroot ${fmt(s.breakdown.chroot)}, unpack ${fmt(s.breakdown.unpack)}, spawn + exit + result ${fmt(s.breakdown.restOfCall)}`);
  if (s.disturbed)
    console.log(
      `  WARNING: ${s.fsType} was disturbed (a side's median run is over 1.5x its best, or creating a file took over 100 µs on ext4): on ext4, files removed in the last minutes slow every create; rerun after 5 quiet minutes`,
    );
}
console.log(`target: >= ${TARGET_RATIO} on every file system -> ${result.ok ? 'met' : 'NOT met'}; outputs ${opts['delete-between'] ? 'removed before the next run (--delete-between)' : 'kept until the end'}; the bench took ${seconds.toFixed(1)} s`);
console.log(JSON.stringify(rounded(result)));
