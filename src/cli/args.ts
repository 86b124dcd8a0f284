import { parseArgs, type ParseArgsConfig } from 'node:util';

import { unknownFlagHint } from '../options/cli.js';

type Options = NonNullable<ParseArgsConfig['options']>;
type WithHelp<O extends Options> = O & { help: { type: 'boolean'; short: 'h' } };

/** Bad command-line input: the CLI prints the message and the usage, and exits 2. */
export class UsageError extends Error {
  constructor(message: string, readonly command: string) {
    super(message);
  }
}

export function parse<O extends Options>(command: string, args: string[], options: O): ReturnType<typeof parseArgs<{ args: string[]; options: WithHelp<O>; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } } as WithHelp<O>, allowPositionals: true, strict: true });
  } catch (error) {
    const unknown = /^Unknown option '(--?[^']+)'/.exec((error as Error).message);
    // The option table names the flags of `run`; other commands have only their own few.
    const hint = unknown && command === 'run' ? unknownFlagHint(unknown[1]!) : '';
    throw new UsageError(hint ? `${(error as Error).message}: ${hint}` : (error as Error).message, command);
  }
}
