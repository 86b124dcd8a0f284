// Id map validation and option checks: kind 'invalid-options' with a clear message, before
// anything is spawned.
import test from 'ava';
import { MAX_ID, MAX_MAP_LINES, ReexecError, formatIdMap, spawnSandboxed, validateIdMappings } from 'reexecer/native';

const line = (namespaceId, hostId, size) => ({ namespaceId, hostId, size });
const self = [line(0, 0, 1)];

function invalid(t, fn, pattern) {
  const error = t.throws(fn, { instanceOf: ReexecError });
  t.is(error.kind, 'invalid-options');
  t.regex(error.message, pattern);
  return error;
}

async function invalidSpawn(t, options, pattern) {
  const error = await t.throwsAsync(spawnSandboxed({ file: '/bin/true', ...options }), { instanceOf: ReexecError });
  t.is(error.kind, 'invalid-options');
  t.regex(error.message, pattern);
}

test('the limits are the kernel\'s: ids up to 2^32-2, 340 lines', (t) => {
  t.is(MAX_ID, 2 ** 32 - 2);
  t.is(MAX_MAP_LINES, 340);
});

test('valid maps pass: one line, several ranges, the highest id, 340 lines', (t) => {
  t.notThrows(() => validateIdMappings(self, 'uid'));
  t.notThrows(() => validateIdMappings([line(0, 5000, 1), line(1, 100000, 65000)], 'uid'));
  t.notThrows(() => validateIdMappings([line(0, 2 ** 32 - 2, 1)], 'gid'));
  t.notThrows(() => validateIdMappings([line(0, 2 ** 32 - 11, 10)], 'gid'));
  t.notThrows(() => validateIdMappings(Array.from({ length: 340 }, (_, i) => line(i, 1000 + i, 1)), 'uid'));
  // Adjacent (touching, not overlapping) ranges are fine.
  t.notThrows(() => validateIdMappings([line(0, 100, 10), line(10, 110, 10)], 'uid'));
});

test('size 0 is refused, naming the line', (t) => {
  invalid(t, () => validateIdMappings([line(0, 0, 1), line(1, 100000, 0)], 'uid'), /uidMappings\[1\]\.size is 0/);
});

test('overlapping namespace ids are refused', (t) => {
  invalid(t, () => validateIdMappings([line(0, 100000, 10), line(5, 200000, 10)], 'gid'), /gidMappings\[0\] and gidMappings\[1\] overlap in namespaceId/);
});

test('overlapping host ids are refused', (t) => {
  invalid(t, () => validateIdMappings([line(0, 100000, 10), line(100, 100009, 10)], 'uid'), /uidMappings\[0\] and uidMappings\[1\] overlap in hostId/);
});

test('ids past 2^32-2 are refused', (t) => {
  invalid(t, () => validateIdMappings([line(0, 2 ** 32 - 1, 1)], 'uid'), /uidMappings\[0\] maps hostId 4294967295\.\.4294967295, past the largest id 4294967294/);
  invalid(t, () => validateIdMappings([line(0, 2 ** 32 - 10, 10)], 'uid'), /past the largest id/);
  invalid(t, () => validateIdMappings([line(2 ** 32 - 5, 0, 10)], 'gid'), /gidMappings\[0\] maps namespaceId .* past the largest id/);
});

test('more than 340 lines are refused', (t) => {
  const lines = Array.from({ length: 341 }, (_, i) => line(i, 1000 + i, 1));
  invalid(t, () => validateIdMappings(lines, 'uid'), /uidMappings has 341 lines; the kernel takes at most 340/);
});

test('a map whose text does not fit in one write shorter than a page is refused', (t) => {
  // 340 lines of "namespaceId hostId size" with long numbers: about 8 KiB.
  const lines = Array.from({ length: 340 }, (_, i) => line(1_000_000 + i * 10, 3_000_000_000 + i * 10, 5));
  invalid(t, () => validateIdMappings(lines, 'uid'), /uidMappings is \d+ bytes as text; the kernel takes at most 4095/);
});

test('empty maps and non-integer fields are refused', (t) => {
  invalid(t, () => validateIdMappings([], 'uid'), /uidMappings must be a non-empty array/);
  invalid(t, () => validateIdMappings([line(0, -1, 1)], 'uid'), /uidMappings\[0\]\.hostId must be a non-negative integer, got -1/);
  invalid(t, () => validateIdMappings([line(0, 1.5, 1)], 'uid'), /hostId must be a non-negative integer/);
  invalid(t, () => validateIdMappings([{ namespaceId: 0, hostId: 0 }], 'gid'), /gidMappings\[0\]\.size must be a non-negative integer/);
});

test('formatIdMap writes one "ns host size" line per mapping, ids unsigned', (t) => {
  t.is(formatIdMap([line(0, 5000, 1), line(1, 3_000_000_000, 65536)]), '0 5000 1\n1 3000000000 65536\n');
});

test('spawnSandboxed refuses a bad map before spawning (size 0, overlap, too high, too many lines)', async (t) => {
  const ns = ['user'];
  await invalidSpawn(t, { namespaces: ns, idMappings: { uidMappings: [line(0, 0, 0)], gidMappings: self } }, /size is 0/);
  await invalidSpawn(t, { namespaces: ns, idMappings: { uidMappings: self, gidMappings: [line(0, 0, 5), line(2, 10, 1)] } }, /gidMappings.*overlap/);
  await invalidSpawn(t, { namespaces: ns, idMappings: { uidMappings: [line(0, 2 ** 32 - 1, 1)], gidMappings: self } }, /past the largest id/);
  const many = Array.from({ length: 341 }, (_, i) => line(i, 1000 + i, 1));
  await invalidSpawn(t, { namespaces: ns, idMappings: { uidMappings: many, gidMappings: self } }, /341 lines/);
});

test('spawnSandboxed refuses inconsistent options with a clear message', async (t) => {
  await invalidSpawn(t, { namespaces: ['user'], idMappings: { uidMappings: [line(1, 0, 1)], gidMappings: self } }, /uid 0 is not mapped by uidMappings/);
  await invalidSpawn(t, { idMappings: { uidMappings: self, gidMappings: self } }, /idMappings need the user namespace/);
  await invalidSpawn(t, { namespaces: ['user'], hostname: 'x' }, /hostname needs the uts namespace/);
  await invalidSpawn(t, { namespaces: ['time'] }, /namespaces\[0\] must be one of "mount", .* got "time"/);
  await invalidSpawn(t, { uid: 0 }, /give uid and gid together/);
  await invalidSpawn(t, { timeoutMs: 0 }, /timeoutMs must be an integer from 1 to 2147483647 ms/);
  await invalidSpawn(t, { stdio: ['pipe', 'pipe', 'bogus'] }, /stdio\[2\] must be 'pipe', 'inherit', 'ignore' or an open fd, got "bogus"/);
  await invalidSpawn(t, { extraFds: ['inherit'] }, /extraFds\[0\] must be 'pipe' or an open fd/);
  await invalidSpawn(t, { env: { 'A=B': 'x' } }, /env has the name "A=B"/);
  await invalidSpawn(t, { namespaces: ['user', 'uts'], init: true }, /init needs the pid namespace/);
  const error = await t.throwsAsync(spawnSandboxed({ file: '' }), { instanceOf: ReexecError });
  t.is(error.kind, 'invalid-options');
});
