import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import test from 'ava';

import { inheritedExecArgv } from '../../dist/reexec/exec-argv.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ACTIONS = fileURLToPath(new URL('../fixtures/sandbox/actions.js', import.meta.url));

test('loader flags are repeated; eval, print, input-type, inspect and test flags are not', (t) => {
  const argv = ['-e', 'x', '--import', 'tsx', '--inspect=9229', '--input-type=module', '-r', 'hook', '--eval=y', '--no-warnings', '--test', '--watch-path', 'src', '-p', 'z', '--experimental-vm-modules'];
  t.deepEqual(inheritedExecArgv(argv), ['--import', 'tsx', '-r', 'hook', '--no-warnings', '--experimental-vm-modules']);
});

test('--env-file and --env-file-if-exists are not repeated: the host environment is not the child’s', (t) => {
  const argv = ['--env-file=.env', '--env-file', 'other.env', '--env-file-if-exists=x.env', '--import', 'tsx'];
  t.deepEqual(inheritedExecArgv(argv), ['--import', 'tsx']);
});

test('a host started with node -e reexecs its action once, not its own -e code again and again', async (t) => {
  const code = `import ${JSON.stringify(ACTIONS)}; import { newReexecer } from 'reexecer/sandbox'; import { pino } from 'pino';
process.stdout.write(String(await newReexecer(pino({ level: 'silent' })).reexec('hi')));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT, timeout: 20_000 });
  t.is(stdout, 'Hi from action!');
});
