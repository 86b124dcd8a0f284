import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

import { ReexecError } from '../errors.js';
import { inheritedExecArgv } from './exec-argv.js';
import { assertSafeName } from './names.js';

/** A function another copy of this program runs when its argv[0] is the function's name. */
export type ReexecFunction = () => void;

const functions = new Map<string, ReexecFunction>();
let initialized = false;

/** Registers `fn` under `name`; throws on a duplicate or an unsafe name. */
export function register(name: string, fn: ReexecFunction): void {
  assertSafeName(name);
  if (typeof fn !== 'function') throw new ReexecError('invalid-options', `register(${JSON.stringify(name)}): fn must be a function`);
  if (functions.has(name)) throw new ReexecError('invalid-options', `reexec function ${JSON.stringify(name)} is already registered`);
  functions.set(name, fn);
}

/**
 * Runs the function named by `process.argv0` and returns true, else returns false. Call it
 * first thing in the entry script: `if (init()) process.exit(0)`. The function runs
 * synchronously, as in Go; one that returns a promise is an error (use initAsync).
 */
export function init(): boolean {
  initialized = true;
  const fn = functions.get(process.argv0);
  if (!fn) return false;
  const result: unknown = fn();
  if (result instanceof Promise)
    throw new ReexecError('invalid-options', `reexec function ${JSON.stringify(process.argv0)} returned a promise: call \`if (await initAsync()) process.exit(0)\` instead of init()`);
  return true;
}

/** init() for functions that return a promise: resolves true once the function finished. */
export async function initAsync(): Promise<boolean> {
  initialized = true;
  const fn = functions.get(process.argv0);
  if (!fn) return false;
  await (fn as () => unknown)();
  return true;
}

/** The running program: node itself; `command` adds its flags and entry script. */
export function self(): string {
  return process.execPath;
}

/**
 * A child that is this same program (node, its flags such as `--import` loaders, the
 * entry script) with argv[0] = name. Refuses when init() was never called here: the child
 * would not dispatch and would run the whole program again, and again.
 */
export function command(name: string, args: readonly string[] = [], options: SpawnOptions = {}): ChildProcess {
  assertSafeName(name);
  if (!initialized)
    throw new ReexecError('invalid-options', `command(${JSON.stringify(name)}) before init(): call \`if (init()) process.exit(0)\` at the top of the entry script, or the child would reexec forever`);
  const script = process.argv[1];
  if (script === undefined || process.execArgv.some((f) => /^(-e|--eval|-p|--print|-pe)(=|$)/.test(f))) throw new ReexecError('invalid-options', 'command() needs an entry script: this process was started without one (node -e, -p or a REPL), so there is no program to run again');
  return spawn(self(), [...inheritedExecArgv(), script, ...args], { ...options, argv0: name });
}
