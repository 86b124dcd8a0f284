// @Sandboxed validates its options when the class is decorated: every bad option fails
// with ReexecError kind 'invalid-options' whose message names the class and the field,
// before anything is registered. Runs in-process: no child is spawned.
import test from 'ava';

import { ReexecError, Sandboxed, sandboxedOptions } from 'reexecer';
import { lookup } from '../../dist/sandbox/registry.js';

let n = 0;
/** A fresh plugin class with a unique name (and run() unless told otherwise). */
function pluginClass(withRun = true) {
  const name = `BadPlugin${++n}`;
  const cls = { [name]: class {} }[name];
  if (withRun) cls.prototype.run = () => 1;
  return cls;
}

const MAP = (size = 1) => [{ namespaceId: 0, hostId: 100000, size }];

// [what, options, field named in the message]
const BAD = [
  ['an unknown key', { id: 'ok-id', chrot: true }, 'chrot'],
  ['an unknown key next to valid ones', { id: 'ok-id', userns: true, network: false }, 'network'],
  ['a missing id', {}, 'id'],
  ['an empty id', { id: '' }, 'id'],
  ['an id with upper case', { id: 'Unpack' }, 'id'],
  ['an id starting with a dash', { id: '-unpack' }, 'id'],
  ['an id starting with a dot', { id: '.unpack' }, 'id'],
  ['an id with a slash', { id: 'a/b' }, 'id'],
  ['an id with a space', { id: 'a b' }, 'id'],
  ['an id with a colon', { id: 'a:b' }, 'id'],
  ['an id of 65 characters', { id: `a${'b'.repeat(64)}` }, 'id'],
  ['a numeric id', { id: 42 }, 'id'],
  ['chroot as a string', { id: 'ok-id', chroot: 'yes' }, 'chroot'],
  ['chroot as a path', { id: 'ok-id', chroot: '/tmp' }, 'chroot'],
  ['pivotRoot as a number', { id: 'ok-id', chroot: true, pivotRoot: 1 }, 'pivotRoot'],
  ['noNewPrivileges as a string', { id: 'ok-id', noNewPrivileges: 'true' }, 'noNewPrivileges'],
  ['userns as a number', { id: 'ok-id', userns: 1 }, 'userns'],
  ['userns as another string', { id: 'ok-id', userns: 'subuids' }, 'userns'],
  ['userns as null', { id: 'ok-id', userns: null }, 'userns'],
  ['userns maps without gidMappings', { id: 'ok-id', userns: { uidMappings: MAP() } }, 'userns'],
  ['userns maps with an empty uid map', { id: 'ok-id', userns: { uidMappings: [], gidMappings: MAP() } }, 'userns'],
  ['userns maps of size 0', { id: 'ok-id', userns: { uidMappings: MAP(0), gidMappings: MAP() } }, 'userns'],
  ['userns maps with a negative id', { id: 'ok-id', userns: { uidMappings: [{ namespaceId: -1, hostId: 0, size: 1 }], gidMappings: MAP() } }, 'userns'],
  ['userns maps with a fractional size', { id: 'ok-id', userns: { uidMappings: MAP(1.5), gidMappings: MAP() } }, 'userns'],
  ['userns maps past the largest id', { id: 'ok-id', userns: { uidMappings: [{ namespaceId: 0, hostId: 0xffff_ffff, size: 1 }], gidMappings: MAP() } }, 'userns'],
  [
    'overlapping userns maps',
    { id: 'ok-id', userns: { uidMappings: [{ namespaceId: 0, hostId: 1000, size: 10 }, { namespaceId: 5, hostId: 5000, size: 10 }], gidMappings: MAP() } },
    'userns',
  ],
  ['userns maps of 341 lines', { id: 'ok-id', userns: { uidMappings: Array.from({ length: 341 }, (_, i) => ({ namespaceId: i, hostId: 1000 + i, size: 1 })), gidMappings: MAP() } }, 'userns'],
  ['namespaces as a string', { id: 'ok-id', namespaces: 'uts' }, 'namespaces'],
  ['namespaces with user', { id: 'ok-id', namespaces: ['user'] }, 'namespaces'],
  ['namespaces with an unknown name', { id: 'ok-id', namespaces: ['uts', 'cgroup'] }, 'namespaces'],
  ['hostname as a number', { id: 'ok-id', namespaces: ['uts'], hostname: 7 }, 'hostname'],
  ['an empty hostname', { id: 'ok-id', namespaces: ['uts'], hostname: '' }, 'hostname'],
  ['a hostname of 65 characters', { id: 'ok-id', namespaces: ['uts'], hostname: 'h'.repeat(65) }, 'hostname'],
  ['hostname without the uts namespace', { id: 'ok-id', hostname: 'box' }, 'hostname'],
  ['hostname with other namespaces but not uts', { id: 'ok-id', namespaces: ['net'], hostname: 'box' }, 'hostname'],
  ['pivotRoot without chroot', { id: 'ok-id', pivotRoot: true }, 'pivotRoot'],
  ['pivotRoot with chroot: false', { id: 'ok-id', chroot: false, pivotRoot: true }, 'pivotRoot'],
  ['timeoutMs of 0', { id: 'ok-id', timeoutMs: 0 }, 'timeoutMs'],
  ['a negative timeoutMs', { id: 'ok-id', timeoutMs: -5 }, 'timeoutMs'],
  ['timeoutMs NaN', { id: 'ok-id', timeoutMs: NaN }, 'timeoutMs'],
  ['timeoutMs Infinity', { id: 'ok-id', timeoutMs: Infinity }, 'timeoutMs'],
  ['timeoutMs as a string', { id: 'ok-id', timeoutMs: '1000' }, 'timeoutMs'],
];

for (const [what, options, field] of BAD) {
  test(`${what} → invalid-options naming the class and ${field}`, (t) => {
    const cls = pluginClass();
    const error = t.throws(() => Sandboxed(options)(cls));
    t.true(error instanceof ReexecError, `a ReexecError, got ${error?.constructor?.name}`);
    t.is(error.kind, 'invalid-options');
    t.true(error.message.includes(cls.name), `the message names the class: ${error.message}`);
    t.regex(error.message, new RegExp(`class ${cls.name}: ${field}\\b`), `the message names the field: ${error.message}`);
    t.is(sandboxedOptions(cls), undefined, 'the class is not marked as a plugin');
    if (typeof options.id === 'string' && options.id !== '' && !options.id.includes('/') && !options.id.includes(' '))
      t.is(lookup(options.id), undefined, 'nothing is registered');
  });
}

for (const [what, options] of [
  ['undefined options', undefined],
  ['null options', null],
  ['a string instead of options', 'unpack'],
  ['an array instead of options', [{ id: 'x' }]],
]) {
  test(`${what} → invalid-options naming the class`, (t) => {
    const cls = pluginClass();
    const error = t.throws(() => Sandboxed(options)(cls));
    t.true(error instanceof ReexecError);
    t.is(error.kind, 'invalid-options');
    t.true(error.message.includes(cls.name), error.message);
  });
}

test('a class without run() → invalid-options naming the class and run()', (t) => {
  const cls = pluginClass(false);
  const error = t.throws(() => Sandboxed({ id: 'no-run' })(cls));
  t.true(error instanceof ReexecError);
  t.is(error.kind, 'invalid-options');
  t.true(error.message.includes(cls.name), error.message);
  t.regex(error.message, /run\(\)/);
  t.is(lookup('no-run'), undefined);
});

test('run as a field that is not a function → invalid-options', (t) => {
  const cls = pluginClass(false);
  cls.prototype.run = 'not a function';
  const error = t.throws(() => Sandboxed({ id: 'run-not-fn' })(cls));
  t.is(error.kind, 'invalid-options');
  t.regex(error.message, /run\(\)/);
});

test('an anonymous class is named as such in the message', (t) => {
  const error = t.throws(() => Sandboxed({ id: 'Bad' })(class { run() {} }));
  t.is(error.kind, 'invalid-options');
  t.regex(error.message, /@Sandboxed on class \(anonymous\)/);
  t.regex(error.message, /\bid\b/);
});

// Valid declarations: each is registered under its id, from this module, with its options.
const GOOD = [
  { id: 'v-min' },
  { id: 'v-0' },
  { id: `v${'x'.repeat(63)}` },
  { id: 'v.dots_and-dashes' },
  { id: 'v-chroot', chroot: true, pivotRoot: true, noNewPrivileges: true },
  { id: 'v-userns-true', userns: true },
  { id: 'v-userns-false', userns: false },
  { id: 'v-subids', userns: 'subids' },
  { id: 'v-maps', userns: { uidMappings: [{ namespaceId: 0, hostId: 100000, size: 65536 }], gidMappings: [{ namespaceId: 0, hostId: 100000, size: 65536 }] } },
  { id: 'v-ns', namespaces: ['uts', 'ipc', 'net', 'pid', 'mount'], hostname: 'h'.repeat(64) },
  { id: 'v-timeout', timeoutMs: 1 },
  { id: 'v-timeout-max', timeoutMs: 2 ** 31 - 1 },
  { id: 'v-nnp-off', noNewPrivileges: false },
];

for (const options of GOOD) {
  test(`valid: ${JSON.stringify(options).slice(0, 90)}`, (t) => {
    const cls = pluginClass();
    t.is(Sandboxed(options)(cls), cls, 'the decorator returns the class');
    t.deepEqual(sandboxedOptions(cls), options);
    t.true(Object.isFrozen(sandboxedOptions(cls)));
    const registration = lookup(options.id);
    t.truthy(registration, 'registered under its id');
    t.is(registration.module, import.meta.url, 'registered for the module that declares the class');
  });
}

test('the options are copied: changing the object afterwards changes nothing', (t) => {
  const options = { id: 'v-copied', namespaces: ['uts'] };
  const cls = pluginClass();
  Sandboxed(options)(cls);
  options.id = 'v-changed';
  options.namespaces.push('net');
  t.deepEqual(sandboxedOptions(cls), { id: 'v-copied', namespaces: ['uts'] });
});

test('an id declared twice in one process → invalid-options naming the id', (t) => {
  Sandboxed({ id: 'v-twice' })(pluginClass());
  const error = t.throws(() => Sandboxed({ id: 'v-twice' })(pluginClass()));
  t.true(error instanceof ReexecError);
  t.is(error.kind, 'invalid-options');
  t.regex(error.message, /v-twice/);
});

test('sandboxedOptions of anything else is undefined', (t) => {
  t.is(sandboxedOptions(class {}), undefined);
  t.is(sandboxedOptions({}), undefined);
  t.is(sandboxedOptions(undefined), undefined);
  t.is(sandboxedOptions('v-min'), undefined);
});
