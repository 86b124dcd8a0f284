// A host process for bench/spawn-heap.js: holds --heap-mb MiB of live JS heap, then for
// each line on stdin ("sandboxed" or "plain") spawns /bin/true once that way, waits for
// its exit and prints the milliseconds. One host per heap size, so the bench can
// interleave the sizes in one run.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

import { spawnSandboxed } from 'reexecer/native';

const heapMb = Number(process.argv[2] ?? 0);
// Small objects in arrays: heap pages the kernel must copy the tables of on fork, like a
// real host's, not one large buffer outside the JS heap.
const hold = [];
for (let mb = 0; mb < heapMb; mb++) hold.push(Array.from({ length: 1024 * 16 }, (_, i) => ({ i, s: `${mb}:${i}` })));

const ms = (start) => Number(process.hrtime.bigint() - start) / 1e6;

async function sandboxed() {
  const start = process.hrtime.bigint();
  const child = await spawnSandboxed({ file: '/bin/true', namespaces: ['user', 'mount', 'uts'], stdio: ['ignore', 'ignore', 'ignore'] });
  const exit = await child.exited;
  if (exit.exitCode !== 0) throw new Error(`/bin/true exited with ${exit.exitCode ?? exit.signal}`);
  return ms(start);
}

function plain() {
  const start = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/true', [], { stdio: 'ignore', env: {} });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(ms(start)) : reject(new Error(`/bin/true exited with ${code}`))));
  });
}

process.stdout.write(`ready ${Math.round(process.memoryUsage().heapUsed / 2 ** 20)} ${Math.round(process.memoryUsage().rss / 2 ** 20)}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  process.stdout.write(`${line === 'sandboxed' ? await sandboxed() : await plain()}\n`);
}
void hold;
