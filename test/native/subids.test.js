// /etc/subuid and /etc/subgid parsing, and the rootless maps built from them.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import test from 'ava';
import { parseSubIds, subIdMappings } from 'reexecer/native';

import { scenario, tempDir } from '../helpers/native.js';

const alice = { name: 'alice', uid: 1001 };

test('by user name', (t) => {
  t.deepEqual(parseSubIds('alice:100000:65536\nbob:165536:65536\n', alice), [{ start: 100000, count: 65536 }]);
});

test('by numeric uid', (t) => {
  t.deepEqual(parseSubIds('1001:300000:1000\n1002:400000:1000\n', alice), [{ start: 300000, count: 1000 }]);
  t.deepEqual(parseSubIds('1001:300000:1000\n', { uid: 1001 }), [{ start: 300000, count: 1000 }], 'no name: numeric lines only');
  t.deepEqual(parseSubIds('alice:300000:1000\n', { uid: 1001 }), []);
});

test('comments, blank lines, surrounding blanks and CRLF endings are skipped', (t) => {
  const text = '# alice:1:1\n\n   \n  alice:100000:10  \r\n#\n';
  t.deepEqual(parseSubIds(text, alice), [{ start: 100000, count: 10 }]);
});

test('malformed lines are skipped, the good ones kept', (t) => {
  const text = [
    'alice:100000', // too few fields
    'alice:100000:10:extra', // too many
    'alice:abc:10', // not a number
    'alice:100000:-5', // negative
    'alice:1e5:10', // not decimal digits
    'alice::10', // empty start
    'alice:200000:0', // empty range
    'alice:4294967290:100', // past the largest id
    'alice:500000:20', // good
  ].join('\n');
  t.deepEqual(parseSubIds(text, alice), [{ start: 500000, count: 20 }]);
});

test('several ranges, by name and by uid, in file order', (t) => {
  const text = 'alice:100000:10\nbob:1:1\n1001:200000:20\nalice:300000:30\n';
  t.deepEqual(parseSubIds(text, alice), [
    { start: 100000, count: 10 },
    { start: 200000, count: 20 },
    { start: 300000, count: 30 },
  ]);
});

test('ids at and above 2^31 stay unsigned', (t) => {
  t.deepEqual(parseSubIds('alice:3000000000:65536\nalice:2147483648:1\n', alice), [
    { start: 3000000000, count: 65536 },
    { start: 2147483648, count: 1 },
  ]);
  t.deepEqual(parseSubIds('alice:4294967294:1\n', alice), [{ start: 4294967294, count: 1 }], 'the largest id');
});

test('another user\'s lines and an empty file give nothing', (t) => {
  t.deepEqual(parseSubIds('bob:100000:65536\n', alice), []);
  t.deepEqual(parseSubIds('', alice), []);
});

test('root: subIdMappings(files) maps own id to 0 and the ranges from 1 on, in order', async (t) => {
  const dir = tempDir(t);
  const subuid = join(dir, 'subuid');
  const subgid = join(dir, 'subgid');
  writeFileSync(subuid, '# test\nroot:100000:1000\nother:1:1\n0:3000000000:500\n');
  writeFileSync(subgid, 'root:200000:65536\n');
  t.deepEqual(await subIdMappings({ subuid, subgid }), {
    uidMappings: [
      { namespaceId: 0, hostId: 0, size: 1 },
      { namespaceId: 1, hostId: 100000, size: 1000 },
      { namespaceId: 1001, hostId: 3000000000, size: 500 },
    ],
    gidMappings: [
      { namespaceId: 0, hostId: 0, size: 1 },
      { namespaceId: 1, hostId: 200000, size: 65536 },
    ],
  });
});

test('root: subIdMappings(files) is undefined without ranges or without the files', async (t) => {
  const dir = tempDir(t);
  const subuid = join(dir, 'subuid');
  writeFileSync(subuid, 'root:100000:1000\n');
  writeFileSync(join(dir, 'empty'), '');
  t.is(await subIdMappings({ subuid, subgid: join(dir, 'empty') }), undefined);
  t.is(await subIdMappings({ subuid, subgid: join(dir, 'missing') }), undefined);
});

test('nobody: no ranges in /etc/subuid, subIdMappings() is undefined', async (t) => {
  const r = await scenario('nobody', 'subIdMappings');
  t.is(r.parent.uid, 65534);
  t.is(r.mappings, null);
});
