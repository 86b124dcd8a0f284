#pragma once

#include <napi.h>

namespace reexecer {

// installSeccomp(): the default filter on every thread of the calling process (and all it
// starts). seccompRefused(): the names of the syscalls it refuses with EPERM.
Napi::Value InstallSeccomp(const Napi::CallbackInfo& info);
Napi::Value SeccompRefused(const Napi::CallbackInfo& info);

}  // namespace reexecer
