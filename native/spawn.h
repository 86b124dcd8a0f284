#pragma once

#include <napi.h>

namespace reexecer {

// spawn(options) -> { pid, pidfd, syncFd, errorFd }. Blocks only for the clone itself.
Napi::Value Spawn(const Napi::CallbackInfo& info);
// Frees what children that shared the parent's memory no longer read (they exec'd or
// exited); called on every spawn and reap.
void ReleaseFinishedSpawns();
Napi::Value PollReadable(const Napi::CallbackInfo& info);

}  // namespace reexecer
