// Replaces node:worker_threads inside the child runtime bundle only. Loading the real
// module costs ~10 ms per child start, and pino needs it just for transports (worker
// threads), which the child never uses: its logger writes NDJSON to a fd.
'use strict';
module.exports = {
  isMainThread: true,
  Worker: class Worker {
    constructor() {
      throw new Error('worker threads are not available to the reexecer child runtime bundle');
    }
  },
};
