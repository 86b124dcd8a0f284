import { constants } from 'node:os';

import { invalidOptions } from '../errors.js';

/** SIGTERM for 15: the name exit reports carry. */
export function signalName(signal: number | null): NodeJS.Signals | null {
  if (signal === null) return null;
  return (Object.entries(constants.signals).find(([, n]) => n === signal)?.[0] as NodeJS.Signals) ?? null;
}

export function signalNumber(signal: NodeJS.Signals | number): number {
  if (typeof signal === 'number') return signal;
  const n = constants.signals[signal];
  if (n === undefined) throw invalidOptions(`unknown signal ${signal}`);
  return n;
}

