import { rowsOn } from './schema.js';
import { optionsProblem, unknownKeyMessage } from './validate.js';

type ParseArgsOption = { type: 'string' | 'boolean'; multiple?: boolean };

/** `reexecer run`'s flags for util.parseArgs, from the table's 'cli' names. */
export function cliFlagConfig(): Record<string, ParseArgsOption> {
  return Object.fromEntries(
    rowsOn('cli').map(([, entry]) => [entry.name, { type: entry.cli!.type, ...(entry.cli!.multiple ? { multiple: true } : {}) }]),
  );
}

/** The usage lines for the flags: `--name ARG`. */
export function cliFlagNames(): string[] {
  return rowsOn('cli').map(([, entry]) => `--${entry.name}${entry.cli!.arg ? ` ${entry.cli!.arg}` : ''}`);
}

/**
 * The parsed flags turned into values (`--timeout 5` → 5) and checked by the same rows as
 * every other layer. Returns the values, or the message of the first problem.
 */
export function checkCliFlags(values: Record<string, unknown>): { values: Record<string, unknown> } | { problem: string } {
  const parsed: Record<string, unknown> = {};
  for (const [, entry] of rowsOn('cli')) {
    const raw = values[entry.name];
    if (raw === undefined) continue;
    const parse = entry.cli!.parse;
    parsed[entry.name] = parse ? (Array.isArray(raw) ? raw.map((r: string) => parse(r)) : parse(raw as string)) : raw;
  }
  const problem = optionsProblem('cli', parsed, 'flags');
  return problem ? { problem: problem.message.replace(/^flags: (\S+)/, '--$1') } : { values: parsed };
}

/** A hint for a flag parseArgs did not know: the right name when it is another layer's (--chrootDir → --chroot). */
export function unknownFlagHint(flag: string): string {
  const message = unknownKeyMessage('cli', flag);
  return message.startsWith('is not an option (known') ? '' : `${flag} ${message}`;
}
