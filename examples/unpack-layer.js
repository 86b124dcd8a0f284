// The main job: unpack an image layer rootless, as GrootFS does. Builds a layer tarball
// whose files belong to several owners, unpacks it through the shipped `unpack` plugin
// (a chroot into the layer dir, as root of a new user namespace) and prints the tree with
// the owners as the host sees them.
//
//   node examples/unpack-layer.js [--keep]
//
// Maps: as root, namespace ids 0-65535 become host ids 100000-165535; as a user with
// /etc/subuid and /etc/subgid ranges, your own id becomes 0 and your ranges follow; else
// only your own id is mapped, and files of other owners come out as yours (tar warns).
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import { pino } from 'pino';
import { Reexecer } from 'reexecer';
import { subIdMappings } from 'reexecer/native';

import { ustar } from './lib/ustar.js';

const keep = process.argv.includes('--keep');
const plugins = fileURLToPath(new URL('../plugins/dist', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'reexecer-demo-'));
// mkdtemp makes it 0700; the namespace's root may be another host uid that must pass through.
chmodSync(work, 0o755);
const layerFile = join(work, 'layer.tar.gz');
const rootfs = join(work, 'rootfs');

const mtime = 1_700_000_000;
writeFileSync(
  layerFile,
  gzipSync(
    ustar([
      { name: 'etc/', type: 'dir', mtime },
      { name: 'etc/passwd', type: 'file', data: 'root:x:0:0::/root:/bin/sh\nwww-data:x:33:33::/var/www:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n', mtime },
      { name: 'home/app/', type: 'dir', mode: 0o750, uid: 1000, gid: 1000, mtime },
      { name: 'home/app/notes.txt', type: 'file', data: 'owned by app\n', mode: 0o600, uid: 1000, gid: 1000, mtime },
      { name: 'var/www/', type: 'dir', uid: 33, gid: 33, mtime },
      { name: 'var/www/index.html', type: 'file', data: '<h1>hi</h1>\n', uid: 33, gid: 33, mtime },
      { name: 'usr/bin/', type: 'dir', mtime },
      { name: 'usr/bin/tool', type: 'file', data: '#!/bin/sh\necho tool\n', mode: 0o4755, mtime },
      { name: 'usr/bin/tool-link', type: 'link', linkname: 'usr/bin/tool', mtime },
      { name: 'usr/bin/sh', type: 'symlink', linkname: '/bin/busybox', mtime },
    ]),
  ),
);

const uid = process.geteuid();
let idMappings;
let how;
if (uid === 0) {
  idMappings = { uidMappings: [{ namespaceId: 0, hostId: 100000, size: 65536 }], gidMappings: [{ namespaceId: 0, hostId: 100000, size: 65536 }] };
  how = 'root: namespace 0-65535 -> host 100000-165535 (written directly)';
} else {
  idMappings = await subIdMappings();
  how = idMappings
    ? `uid ${uid}: own id -> 0, /etc/subuid ranges after it (through newuidmap)`
    : `uid ${uid}: own id -> 0 only (no /etc/subuid range: other owners collapse onto yours)`;
}

// The layer dir must belong to the namespace's root, which unpacks into it.

mkdirSync(rootfs);
if (uid === 0) chownSync(rootfs, 100000, 100000);

const logger = pino({ level: 'warn' });
const reexecer = await Reexecer.create({ plugins: [plugins], logger, idMappings });
console.log(`map: ${how}`);
// A self map has no id for the layer's other owners: strict unpacking would stop at the
// first of them, lenient applies the entries and counts what it could not set.
const args = uid !== 0 && !idMappings ? ['--lenient'] : [];
const result = await reexecer.reexec('unpack', { files: [layerFile], chroot: rootfs, args });
const { entries, bytesWritten, warnings } = result.value;
console.log(`unpack: ${JSON.stringify({ entries, bytesWritten, warnings })} in ${result.durationMs.toFixed(0)} ms\n`);

console.log('mode        host uid:gid      size  path');
const walk = (dir) => {
  let names;
  try {
    names = readdirSync(dir).sort();
  } catch (error) {
    // A directory of another mapped owner may be closed to us on the host, as in any rootless store.
    console.log(`${''.padStart(33)}(${relative(rootfs, dir)}: ${error.code} from the host)`);
    return;
  }
  for (const name of names) {
    const path = join(dir, name);
    const stat = lstatSync(path);
    const link = stat.isSymbolicLink() ? ` -> ${readlinkSync(path)}` : '';
    console.log(`${stat.mode.toString(8).padStart(7, '0')}  ${`${stat.uid}:${stat.gid}`.padStart(15)}  ${String(stat.size).padStart(6)}  ${relative(rootfs, path)}${link}`);
    if (stat.isDirectory()) walk(path);
  }
};
walk(rootfs);

if (keep) console.log(`\nkept in ${work}`);
else {
  // Files of other mapped owners may be closed to us on the host: hand everything back to
  // the namespace's root (us) from inside, as GrootFS does before it deletes a store.
  if (uid !== 0) await reexecer.reexec('chown-tree', { chroot: rootfs, args: ['0', '0'] });
  rmSync(work, { recursive: true, force: true });
}
