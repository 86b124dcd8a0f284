// The packaged reexecer as a user gets it: the tarball (REEXECER_PACKAGE_TGZ, packed once by
// .ci/run, or packed here), installed into a fresh app directory with no compiler and no
// Node headers in sight, and commands run there as root or as nobody.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { makeTempDir } from '../helpers/fs.js';
import { ROOT, run } from '../helpers/process.js';
import { asUser } from '../helpers/users.js';

const NPM_CLI = realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim());
const NPX_CLI = join(dirname(NPM_CLI), 'npx-cli.js');

/**
 * Each command runs in a new mount namespace (made as root, before dropping to the user)
 * where Node's headers and gcc's programs are empty directories: neither an install nor a
 * run may compile anything or read /usr/include/node.
 */
const MASKS = ['/usr/include/node', '/usr/lib/gcc', '/usr/libexec/gcc'].filter((d) => existsSync(d));
const MASK_SCRIPT = `set -e\nfor d in ${MASKS.join(' ')}; do mount -t tmpfs -o size=64k,mode=0755 none "$d"; done\nfor f in "$@"; do [ "$f" = -- ] && break; mount --bind /dev/null "$f"; shift; done\nshift\nexec "$@"`;

/** The README's plugin package (the blocks after <!-- template:NAME -->), by file name. */
export function readmeTemplate() {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const files = {};
  for (const m of readme.matchAll(/<!-- template:(\S+) -->\n\s*```\w+\n([\s\S]*?)\n\s*```/g)) {
    const indent = /^\s*/.exec(m[2])[0];
    files[m[1]] = `${m[2].split('\n').map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l)).join('\n')}\n`;
  }
  return files;
}

/** sha256 of every file under `dir`, by relative path. */
export function hashTree(dir) {
  const out = {};
  const walk = (d, rel) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(p, r);
      else out[r] = e.isFile() ? createHash('sha256').update(readFileSync(p)).digest('hex') : `link:${e.name}`;
    }
  };
  walk(dir, '');
  return out;
}

export class App {
  constructor() {
    this.dir = makeTempDir('reexecer-app-', 0o755);
    // PATH holds node, npm, npx and sh (npm runs scripts with it) only: no cc, c++, g++,
    // make or python here.
    this.bin = join(this.dir, '.bin-only-node');
    mkdirSync(this.bin);
    symlinkSync(process.execPath, join(this.bin, 'node'));
    symlinkSync(NPM_CLI, join(this.bin, 'npm'));
    symlinkSync(NPX_CLI, join(this.bin, 'npx'));
    symlinkSync('/bin/sh', join(this.bin, 'sh'));
    this.home = makeTempDir('reexecer-app-home-', 0o777);
  }

  get pkg() {
    return join(this.dir, 'node_modules', 'reexecer');
  }

  /** Runs argv in the app dir, masked, as `as`; `hide` are files bound over with /dev/null. */
  run(argv, { as = 'root', hide = [], input } = {}) {
    const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: this.home, npm_config_cache: join(this.home, `npm-cache-${as}`), npm_config_update_notifier: 'false' };
    // unshare, mount and setpriv from the system; the command itself sees only this.bin.
    const command = [...asUser(as), '/usr/bin/env', `PATH=${this.bin}`, ...argv];
    return run(['unshare', '-m', '--propagation', 'private', 'sh', '-c', MASK_SCRIPT, 'mask', ...hide, '--', ...command], { cwd: this.dir, env, input });
  }

  /** Installs the tarball and the plugin template's dev dependencies, from the npm cache first. */
  async install(tarball) {
    const template = readmeTemplate();
    for (const [name, text] of Object.entries(template)) {
      mkdirSync(dirname(join(this.dir, name)), { recursive: true });
      writeFileSync(join(this.dir, name), text);
    }
    const devDeps = ['typescript', '@types/node'].map((n) => `${n}@${JSON.parse(readFileSync(join(ROOT, 'node_modules', n, 'package.json'), 'utf8')).version}`);
    // root's npm cache (filled by npm ci) has every tarball; --prefer-offline asks the
    // registry only for the version lists it lacks.
    const cache = `npm_config_cache=${join(process.env.HOME ?? '/root', '.npm')}`;
    const r = await this.run([cache, 'npm', 'install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball, ...devDeps]);
    if (r.code !== 0) throw new Error(`npm install exited ${r.code}:\n${r.stderr}${r.stdout}`);
    chmodSync(this.dir, 0o755);
    return r;
  }
}

/** The tarball: REEXECER_PACKAGE_TGZ, or a fresh `npm pack` (prebuilds made first). */
export async function tarball() {
  const given = process.env.REEXECER_PACKAGE_TGZ;
  if (given) {
    if (!existsSync(given)) throw new Error(`REEXECER_PACKAGE_TGZ=${given}: no such file`);
    return given;
  }
  // prepack's work without pack's prepare (npm run build:ts), which would rebuild dist/
  // under the other test files' feet: the suite already built it.
  const prebuild = await run(['bash', join(ROOT, 'scripts/prebuild.sh')], { env: { ...process.env } });
  if (prebuild.code !== 0) throw new Error(`scripts/prebuild.sh exited ${prebuild.code}:\n${prebuild.stderr}`);
  const out = makeTempDir('reexecer-pack-', 0o755);
  const pack = await run([process.execPath, NPM_CLI, 'pack', '--ignore-scripts', '--json', '--pack-destination', out], { env: { ...process.env } });
  if (pack.code !== 0) throw new Error(`npm pack exited ${pack.code}:\n${pack.stderr}`);
  const file = join(out, JSON.parse(pack.stdout)[0].filename);
  chmodSync(file, 0o644);
  return file;
}

export const isFile = (p) => existsSync(p) && statSync(p).isFile();
