#pragma once

#include <napi.h>

namespace reexecer {

// spawn(options) -> { pid, pidfd, syncFd, errorFd }. Blocks only for clone3 itself.
Napi::Value Spawn(const Napi::CallbackInfo& info);
Napi::Value PollReadable(const Napi::CallbackInfo& info);

}  // namespace reexecer
