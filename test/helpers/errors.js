// Errors as JSON, for the plugin-framework and sandbox suites.

/** What a test needs of an error, as JSON (own fields of the cause included). */
export function errorInfo(error) {
  if (!(error instanceof Error)) return { notAnError: String(error) };
  const info = { name: error.name, message: error.message, isReexecError: error.constructor?.name === 'ReexecError' };
  for (const key of ['kind', 'code', 'step', 'exitCode', 'signal', 'stderr', 'hint', 'path']) if (error[key] !== undefined) info[key] = error[key];
  if (error.cause !== undefined) {
    const cause = error.cause;
    info.cause = cause instanceof Error ? { name: cause.name, message: cause.message, stack: cause.stack, ...cause } : { value: String(cause) };
  }
  return info;
}
