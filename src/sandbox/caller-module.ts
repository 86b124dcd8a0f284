import { pathToFileURL } from 'node:url';

import { ReexecError } from '../errors.js';

/**
 * The URL of the module that called `fn`, read from V8's structured stack trace; frames
 * for which `skip` holds (a decorator helper, this library's own files) are passed over.
 */
export function callerModule(fn: Function, skip: (file: string) => boolean = () => false): string {
  const original = Error.prepareStackTrace;
  let sites: NodeJS.CallSite[] = [];
  try {
    Error.prepareStackTrace = (_error, callSites) => callSites;
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, fn);
    sites = (holder.stack as NodeJS.CallSite[]) ?? [];
  } finally {
    Error.prepareStackTrace = original;
  }
  const file = sites.map((s) => s.getFileName()).find((f): f is string => typeof f === 'string' && f !== '' && !skip(f));
  if (file === undefined || file.startsWith('node:') || file.startsWith('data:') || file.startsWith('[eval'))
    throw new ReexecError('invalid-options', 'register() must be called from a module file: the child imports that file to find the action (not from node -e, a REPL or eval)');
  return file.startsWith('file:') ? file : pathToFileURL(file).href;
}
