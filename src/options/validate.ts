import { invalidOptions, type ReexecError } from '../errors.js';
import { isRecord, show } from './checks.js';
import { LAYERS, OPTIONS, rowsOn, type Layer, type LayerOptions, type OnLayer, type OptionRow } from './schema.js';

/** How an error names a layer's way of writing options. */
export const LAYER_LABELS: Record<Layer, string> = {
  sandboxed: '@Sandboxed()',
  call: 'reexecer.reexec()',
  create: 'Reexecer.create()',
  sandbox: "the sandbox layer's ReexecSpec",
  newReexecer: 'newReexecer()',
  native: 'spawnSandboxed()',
  cli: 'the CLI',
};

function nameOn(entry: OnLayer, layer: Layer): string {
  return layer === 'cli' ? `--${entry.name}` : entry.name;
}

/**
 * What to say about a key `layer` does not know: the name this layer uses when the key is
 * another layer's name for the same thing (chrootDir → chroot), where it belongs when this
 * layer has no such option, else the known names.
 */
export function unknownKeyMessage(layer: Layer, key: string): string {
  const bare = key.replace(/^--/, '');
  const rows = (Object.values(OPTIONS) as OptionRow[]).flatMap((row) =>
    LAYERS.filter((other) => other !== layer && (row.on[other]?.name === key || row.on[other]?.name === bare)).map((other) => ({ row, other })),
  );
  // Two rows may share a name on other layers (chroot: a flag of @Sandboxed, a dir of a call): prefer the one this layer has.
  const same = rows.find(({ row }) => row.on[layer]);
  if (same) {
    const { row, other } = same;
    return `is not an option here: ${nameOn(row.on[other]!, other)} is how ${LAYER_LABELS[other]} says it; use ${nameOn(row.on[layer]!, layer)} (${row.about})`;
  }
  if (rows.length) {
    const { row } = rows[0]!;
    const home = LAYERS.filter((l) => row.on[l]).map((l) => `${nameOn(row.on[l]!, l)} on ${LAYER_LABELS[l]}`);
    return `is not an option of ${LAYER_LABELS[layer]} (it is ${home.join(', ')}: ${row.about})`;
  }
  return `is not an option (known: ${rowsOn(layer).map(([, e]) => nameOn(e, layer)).join(', ')})`;
}

/** The first thing wrong with `options` on `layer`, as an error naming `where` and the key. */
export function optionsProblem(layer: Layer, options: unknown, where: string): ReexecError | undefined {
  if (!isRecord(options)) return invalidOptions(`${where}: options must be an object, got ${show(options)}`);
  const rows = new Map(rowsOn(layer).map(([, entry]) => [entry.name, entry]));
  for (const key of Object.keys(options)) if (!rows.has(key)) return invalidOptions(`${where}: ${key} ${unknownKeyMessage(layer, key)}`);
  for (const [name, entry] of rows) {
    const value = options[name];
    if (value === undefined) {
      if (entry.required) return invalidOptions(`${where}: ${name} is required`);
      continue;
    }
    const problem = entry.check(value);
    if (problem) return invalidOptions(`${where}: ${name}${/^[[.]/.test(problem) ? '' : ' '}${problem}`);
  }
  return undefined;
}

/**
 * Checks a layer's options against the table before anything is opened or spawned: unknown
 * keys, types, NUL bytes, fds, ranges. Rules between options stay with the layer.
 */
export function validateOptions<L extends Layer>(layer: L, options: unknown, where: string): asserts options is LayerOptions<L> {
  const problem = optionsProblem(layer, options, where);
  if (problem) throw problem;
}
