// The action bench/reexec.js runs: registered from this module (the child imports it, and
// only it), logs one line and returns.
import { register } from 'reexecer/sandbox';

register('noop', (logger) => {
  logger.info('noop');
});
