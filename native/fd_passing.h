// Handing open fds to a running child over a unix socket (SCM_RIGHTS): how a prewarmed
// child, started before the call, gets the files the host opened for that call.
#pragma once

#include <napi.h>

namespace reexecer {

// The most fds one SCM_RIGHTS message carries (the kernel's SCM_MAX_FD).
constexpr int kMaxPassedFds = 253;

Napi::Value SendFds(const Napi::CallbackInfo& info);
Napi::Value RecvFds(const Napi::CallbackInfo& info);

}  // namespace reexecer
