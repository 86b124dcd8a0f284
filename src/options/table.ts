import { LAYERS, OPTIONS, type Layer, type OptionRow } from './schema.js';

const HEADINGS: Record<Layer, string> = {
  sandboxed: '`@Sandboxed`',
  call: 'plugin call',
  create: '`Reexecer.create`',
  sandbox: '`ReexecSpec`',
  newReexecer: '`newReexecer`',
  native: '`spawnSandboxed`',
  cli: '`reexecer run`',
};

/** The README's table of option names per layer, from the schema: a test keeps the README equal to it. */
export function optionsTable(): string {
  const head = `| meaning | ${LAYERS.map((l) => HEADINGS[l]).join(' | ')} |`;
  const rule = `|---|${LAYERS.map(() => '---').join('|')}|`;
  const rows = (Object.values(OPTIONS) as OptionRow[]).map((row) => {
    const cells = LAYERS.map((l) => {
      const entry = row.on[l];
      if (!entry) return '';
      if (l === 'cli') return `\`--${entry.name}\`${entry.cli?.note ? ` (${entry.cli.note})` : ''}`;
      return `\`${entry.name}\`${entry.required ? ' (required)' : ''}`;
    });
    return `| ${row.about} | ${cells.join(' | ')} |`;
  });
  return [head, rule, ...rows].join('\n');
}
