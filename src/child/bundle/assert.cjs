// Replaces node:assert inside the child runtime bundle only. Loading the real module costs
// ~4 ms per child start; its only users here (sonic-boom, thread-stream) call assert(value,
// message) to check their own arguments, which this keeps: a falsy value throws.
'use strict';
function assert(value, message) {
  if (value) return;
  const error = new Error(message === undefined ? 'assertion failed' : String(message));
  error.code = 'ERR_ASSERTION';
  throw error;
}
assert.ok = assert;
module.exports = assert;
