export { register, init, initAsync, command, self } from './registry.js';
export type { ReexecFunction } from './registry.js';
