// The log relay (GrootFS's relogger without its losses): level, message, fields, the
// child's own time, bindings { reexec, pid }; split lines, 1 MB lines, non-JSON lines and
// a burst of lines logged just before the action returns.
import { createHash } from 'node:crypto';

import test from 'ava';

import { scenario } from '../fixtures/sandbox/helpers.js';

const USERS = ['root', 'nobody'];

for (const as of USERS) {
  test(`${as}: each line keeps its level, message and fields, with bindings reexec and the child's pid`, async (t) => {
    const r = await scenario(as, 'logLevels', { level: 'info' });
    t.is(r.error, undefined);
    const childPid = Number(r.value);
    t.true(childPid > 0);
    t.deepEqual(
      r.records.map((x) => [x.level, x.msg]),
      [
        [30, 'an info line'],
        [40, 'a warn line'],
        [50, 'an error line'],
      ],
      'trace and debug are below the parent logger level: the child does not send them',
    );
    for (const record of r.records) {
      t.is(record.reexec, 'log-levels');
      t.is(record.pid, childPid, 'pid binding = the child pid (the last pid key wins)');
      t.is(typeof record.time, 'number');
    }
    t.deepEqual(r.records[0].nested, { a: [1, 2] });
    t.is(r.records[0].answer, 42);
    t.is(r.records[2].err.message, 'logged error');
    t.is(r.records[2].err.code, 'ELOGGED');
    t.regex(r.records[2].err.stack, /actions\.js/, "the logged error keeps the child's stack");
  });

  test(`${as}: the child logs at the parent logger's level (debug reaches a debug logger)`, async (t) => {
    const r = await scenario(as, 'logLevels', { level: 'debug' });
    t.deepEqual(
      r.records.map((x) => x.level),
      [20, 30, 40, 50],
    );
    t.like(r.records[0], { msg: 'a debug line', depth: 2 });
  });

  test(`${as}: the child's own time is kept`, async (t) => {
    const at = 1234567890123; // 2009: no parent clock gives this
    const r = await scenario(as, 'logTime', { at });
    t.is(r.records.length, 1);
    t.is(r.records[0].time, at, 'the last time key (the child one) wins in JSON.parse');
    t.is(r.records[0].pid, r.childPid);
    t.is(r.records[0].msg, 'from a fixed clock');
    // The raw line shows both: the parent's time first, the child's after it.
    const times = [...r.lines[0].matchAll(/"time":(\d+)/g)].map((m) => Number(m[1]));
    t.is(times.at(-1), at);
  });

  test(`${as}: a line split across two reads arrives whole, once`, async (t) => {
    const r = await scenario(as, 'logSplit');
    t.is(r.error, undefined);
    t.is(r.records.length, 1);
    t.like(r.records[0], { msg: 'split across reads', part: 'both', level: 30, time: 1, reexec: 'log-split' });
  });

  test(`${as}: a 1 MB line arrives whole`, async (t) => {
    const size = 1024 * 1024;
    const r = await scenario(as, 'logBig', { size });
    const blob = Array.from({ length: size }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
    t.is(r.error, undefined);
    t.deepEqual(r.msgs, ['a big line', 'after the big line']);
    t.is(r.blobLength, size);
    t.is(r.blobHash, createHash('sha256').update(blob).digest('hex'));
  });

  test(`${as}: a line that is not JSON is kept as a warning with the raw text`, async (t) => {
    const r = await scenario(as, 'logRaw');
    t.is(r.error, undefined);
    t.is(r.records.length, 4);
    const raw = r.records.filter((x) => x.raw !== undefined);
    t.deepEqual(
      raw.map((x) => x.raw),
      ['this is not JSON', '[1,2,3]', 'a last raw line without newline'],
      'non-JSON, JSON that is not an object, and a last line without newline are all kept',
    );
    for (const record of raw) {
      t.is(record.level, 40);
      t.is(record.reexec, 'log-raw');
      t.is(typeof record.pid, 'number');
    }
    t.is(r.records[1].msg, 'a JSON line between');
    t.is(r.records[1].level, 30);
  });

  test(`${as}: nothing is lost when the action logs 1000 lines and returns at once`, async (t) => {
    const r = await scenario(as, 'logMany', { count: 1000 });
    t.is(r.error, undefined);
    t.is(r.count, 1000);
    t.deepEqual(
      r.indexes,
      Array.from({ length: 1000 }, (_, i) => i),
      'every line, in order',
    );
    t.true(r.msgsOk);
  });
}

// Known bug (reported): relogLine passes the child's already serialized fields through the
// parent logger's serializers, so pino's err serializer runs a second time on a plain
// object and rewrites err.type from the child's "Error" to "Object". Flip to test() once fixed.
test('root: a logged error keeps the type the child serialized it with', async (t) => {
  const r = await scenario('root', 'logLevels', { level: 'info' });
  t.is(r.records[2].err.type, 'Error');
});
