#!/usr/bin/env node
import module from 'node:module';

import { ReexecError } from '../errors.js';
import { UsageError } from './args.js';
import { USAGE } from './usage.js';

// Node >= 22.1 keeps the compiled CLI code between runs (in the system temp dir, never in
// the package); Node 20 has no such cache.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

type Command = (argv: string[]) => Promise<number>;

// Loaded on demand: `run` should not pay for what `doctor` imports, nor the reverse.
const COMMANDS: Record<string, () => Promise<Command>> = {
  list: async () => (await import('./list.js')).list,
  run: async () => (await import('./run.js')).run,
  doctor: async () => (await import('./doctor.js')).doctor,
  manifest: async () => (await import('./manifest.js')).manifest,
  'image-unpack': async () => (await import('./image-unpack.js')).imageUnpackCommand,
};

/** Runs the CLI; returns the exit code (2 for bad arguments, 1 for failures). */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE.main}\n`);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === '-V') {
    const { packageVersion } = await import('../plugins/shipped.js');
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const load = COMMANDS[command];
  if (!load) {
    process.stderr.write(`reexecer: unknown command ${JSON.stringify(command)}\n\n${USAGE.main}\n`);
    return 2;
  }
  try {
    const code = await (await load())(rest);
    if (code === -1) process.stdout.write(`${USAGE[command]}\n`);
    return Math.max(code, 0);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`reexecer ${command}: ${error.message}\n\n${USAGE[command]}\n`);
      return 2;
    }
    if (error instanceof ReexecError) {
      process.stderr.write(`reexecer ${command}: ${error.message}\n`);
      const stderr = error.stderr?.trim();
      if (stderr) process.stderr.write(`child stderr:\n${stderr}\n`);
      return 1;
    }
    throw error;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`reexecer: ${(error as Error)?.stack ?? error}\n`);
    process.exit(1);
  },
);
