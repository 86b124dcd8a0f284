// Injection tokens for plugin constructors. Symbol.for: the child runtime and the host
// may hold different copies of this module and must agree on them.
/** A pino logger bound to the plugin id, whose lines reach the host's logger. */
export const LOGGER = Symbol.for('reexecer.LOGGER');
/** The `SandboxFile[]` the caller passed, open in the child. */
export const FILES = Symbol.for('reexecer.FILES');
/** The string arguments the caller passed. */
export const ARGS = Symbol.for('reexecer.ARGS');
