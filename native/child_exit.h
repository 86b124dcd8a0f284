// How the child runtime leaves once its report is flushed.
#pragma once

#include <napi.h>

namespace reexecer {

Napi::Value ExitNow(const Napi::CallbackInfo& info);

}  // namespace reexecer
