import { isAbsolute, relative } from 'node:path';

import { invalidOptions } from '../errors.js';

/** Trees the sandbox may use, as it sees them (after its chroot); every other path is refused. */
export interface LandlockOption {
  /** Read, list and execute. */
  read?: readonly string[];
  /** Everything but creating device nodes. */
  write?: readonly string[];
}

/** What is wrong with a `landlock` value (the schema's check, src/options/schema.ts), or undefined. */
export function landlockProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return `must be an object { read: [...], write: [...] }, got ${JSON.stringify(value)}`;
  for (const [key, paths] of Object.entries(value)) {
    if (key !== 'read' && key !== 'write') return `.${key} is not an option (known: read, write)`;
    if (paths === undefined) continue;
    if (!Array.isArray(paths)) return `.${key} must be an array of absolute paths`;
    for (const p of paths)
      if (typeof p !== 'string' || !isAbsolute(p) || p.includes('\0')) return `.${key} holds ${JSON.stringify(p)}; give absolute paths as the sandbox sees them`;
  }
  return undefined;
}

const within = (path: string, tree: string) => {
  const r = relative(tree, path);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
};

/** A call's landlock may only narrow the class's: each tree inside one the class allows for that use. */
export function tighterLandlock(declared: LandlockOption | undefined, call: LandlockOption | undefined, where: string): LandlockOption | undefined {
  if (!declared || !call) return call ?? declared;
  const readable = [...(declared.read ?? []), ...(declared.write ?? [])];
  for (const p of call.read ?? [])
    if (!readable.some((t) => within(p, t))) throw invalidOptions(`${where}: landlock.read ${p} is outside the plugin's trees; a call may only narrow them`);
  for (const p of call.write ?? [])
    if (!(declared.write ?? []).some((t) => within(p, t))) throw invalidOptions(`${where}: landlock.write ${p} is outside the plugin's write trees; a call may only narrow them`);
  return call;
}
