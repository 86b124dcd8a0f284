import { invalidOptions } from '../errors.js';

const MAX_NAME = 64;

/** A name becomes the child's argv[0]: it must be printable, short and not look like a path. */
export function assertSafeName(name: unknown, what = 'name'): asserts name is string {
  if (typeof name !== 'string' || name === '') throw invalidOptions(`${what} must be a non-empty string`);
  if (name.length > MAX_NAME) throw invalidOptions(`${what} ${JSON.stringify(name)} is longer than ${MAX_NAME} characters`);
  if (name.includes('/')) throw invalidOptions(`${what} ${JSON.stringify(name)} contains "/": argv[0] would look like a path`);
  if (/[\s\p{Cc}]/u.test(name)) throw invalidOptions(`${what} ${JSON.stringify(name)} contains whitespace or a control character`);
}
