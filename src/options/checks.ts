import { fstatSync } from 'node:fs';

/**
 * A type check: undefined when `value` is acceptable, else what it must be ("must be a
 * boolean, got \"no\""). The phantom type is what the option's TypeScript type becomes on
 * the layer that uses the check, so names and types come from the same row.
 */
export type Check<T> = ((value: unknown) => string | undefined) & { readonly __type?: T };

export function check<T>(fn: (value: unknown) => string | undefined): Check<T> {
  return fn as Check<T>;
}

/** A value as an error message shows it: JSON where possible, never a throw. */
export function show(value: unknown): string {
  if (typeof value === 'function') return `a function${value.name ? ` (${value.name})` : ''}`;
  if (typeof value === 'symbol' || typeof value === 'bigint') return String(value);
  if (Buffer.isBuffer(value)) return `a Buffer of ${value.length} bytes`;
  try {
    const text = JSON.stringify(value);
    if (text === undefined) return String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

const got = (value: unknown) => `, got ${show(value)}`;
export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const boolean = check<boolean>((v) => (typeof v === 'boolean' ? undefined : `must be true or false${got(v)}`));

/** Every string a process sees ends at its first NUL: one inside would be cut off silently. */
function nulFree(v: string): string | undefined {
  return v.includes('\0') ? `must not contain a NUL byte (the kernel would cut the string there)${got(v)}` : undefined;
}

export function string(opts: { nonEmpty?: boolean; max?: number } = {}): Check<string> {
  return check((v) => {
    if (typeof v !== 'string') return `must be a string${got(v)}`;
    if (opts.nonEmpty && v === '') return 'must not be empty';
    if (opts.max !== undefined && v.length > opts.max) return `must be at most ${opts.max} characters${got(v)}`;
    return nulFree(v);
  });
}

export const path = string({ nonEmpty: true });

export function pattern(re: RegExp, what: string): Check<string> {
  return check((v) => (typeof v === 'string' && re.test(v) ? undefined : `must match ${re} (${what})${got(v)}`));
}

export function arrayOf<T>(item: Check<T>, opts: { max?: number } = {}): Check<readonly T[]> {
  return check((v) => {
    if (!Array.isArray(v)) return `must be an array${got(v)}`;
    if (opts.max !== undefined && v.length > opts.max) return `has ${v.length} entries; at most ${opts.max} are allowed`;
    for (let i = 0; i < v.length; i++) {
      const problem = item(v[i]);
      if (problem) return `[${i}] ${problem}`;
    }
    return undefined;
  });
}

export function oneOf<const T extends string | boolean>(values: readonly T[]): Check<T> {
  return check((v) => (values.includes(v as T) ? undefined : `must be one of ${values.map((x) => show(x)).join(', ')}${got(v)}`));
}

/** setTimeout's limit: a larger delay fires after 1 ms. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export function integer(min: number, max: number, unit = ''): Check<number> {
  return check((v) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? undefined : `must be an integer from ${min} to ${max}${unit}${got(v)}`,
  );
}

/** The largest fd number the kernel hands out is below INT_MAX. */
const MAX_FD = 2 ** 31 - 1;

/** An fd of this process that is open now: a closed one would be another fd by spawn time. */
export const openFd = check<number>((v) => {
  const range = integer(0, MAX_FD)(v);
  if (range) return range;
  try {
    fstatSync(v as number);
    return undefined;
  } catch {
    return `is fd ${v as number}, which is not open in this process`;
  }
});

export function either<A, B>(a: Check<A>, b: Check<B>, what: string): Check<A | B> {
  return check((v) => {
    const [ofA, ofB] = [a(v), b(v)];
    if (ofA === undefined || ofB === undefined) return undefined;
    // A number is meant as an fd (or id): say what is wrong with it, not every alternative.
    return typeof v === 'number' ? ofB : `must be ${what}${got(v)}`;
  });
}

export function instance<T>(ctor: abstract new (...args: never[]) => T, what: string): Check<T> {
  return check((v) => (v instanceof ctor ? undefined : `must be ${what}${got(v)}`));
}

/** An object with these methods (a logger, an id mapper): duck-typed, as callers bring their own. */
export function withMethods<T>(methods: readonly string[], what: string): Check<T> {
  return check((v) =>
    typeof v === 'object' && v !== null && methods.every((m) => typeof (v as Record<string, unknown>)[m] === 'function')
      ? undefined
      : `must be ${what} (an object with ${methods.join(', ')})${got(v)}`,
  );
}

/** The child's environment: valid names, string values, no NUL anywhere. */
export const env = check<Readonly<Record<string, string | undefined>>>((v) => {
  if (!isRecord(v)) return `must be an object of strings${got(v)}`;
  for (const [key, value] of Object.entries(v)) {
    if (key === '' || key.includes('=') || key.includes('\0')) return `has the name ${show(key)}: a name is non-empty, without "=" or NUL`;
    if (value === undefined) continue;
    if (typeof value !== 'string') return `.${key} must be a string (or undefined to leave it out)${got(value)}`;
    if (value.includes('\0')) return `.${key} must not contain a NUL byte`;
  }
  return undefined;
});
