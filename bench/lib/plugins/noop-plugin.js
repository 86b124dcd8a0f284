// The plugin bench/prewarm.js runs through the plugin layer (plain JS, decorators applied
// by hand): logs one line and returns nothing, the plugin twin of noop-action.js.
import { inject, LOGGER, Sandboxed } from 'reexecer';

export class NoopPlugin {
  constructor(log) {
    this.log = log;
  }
  run() {
    this.log.info('noop');
  }
}
inject(LOGGER)(NoopPlugin, undefined, 0);
Sandboxed({ id: 'noop-plugin', chroot: true, userns: true })(NoopPlugin);
