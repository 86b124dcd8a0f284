export { register, registeredIds, unregister } from './registry.js';
export { newReexecer } from './reexecer.js';
export type { ReexecSpec, SandboxReexecer, ReexecerOptions } from './reexecer.js';
export type { Action, SandboxFile } from './types.js';
export type { IdMapping, IdMappings } from '../native/id-mappings.js';
export type { IdMapper } from '../native/id-mapper.js';
export { ReexecError } from '../errors.js';
export type { ReexecErrorKind } from '../errors.js';
