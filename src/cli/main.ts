#!/usr/bin/env node
import { ReexecError } from '../errors.js';
import { UsageError } from './args.js';
import { doctor } from './doctor.js';
import { list } from './list.js';
import { manifest } from './manifest.js';
import { run } from './run.js';
import { USAGE } from './usage.js';

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = { list, run, doctor, manifest };

/** Runs the CLI; returns the exit code (2 for bad arguments, 1 for failures). */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE.main}\n`);
    return command === undefined ? 2 : 0;
  }
  const handler = COMMANDS[command];
  if (!handler) {
    process.stderr.write(`reexecer: unknown command ${JSON.stringify(command)}\n\n${USAGE.main}\n`);
    return 2;
  }
  try {
    const code = await handler(rest);
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
