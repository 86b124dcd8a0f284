import { parseArgs, type ParseArgsConfig } from 'node:util';

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
    throw new UsageError((error as Error).message, command);
  }
}

/** NS:HOST:SIZE, e.g. 0:100000:65536. */
export function parseMapping(text: string, command: string): { namespaceId: number; hostId: number; size: number } {
  const match = /^(\d+):(\d+):(\d+)$/.exec(text);
  if (!match) throw new UsageError(`bad mapping ${JSON.stringify(text)}: use NS:HOST:SIZE, e.g. 0:100000:65536`, command);
  return { namespaceId: Number(match[1]), hostId: Number(match[2]), size: Number(match[3]) };
}
