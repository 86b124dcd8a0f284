#pragma once

#include <napi.h>

namespace reexecer {

// The Extractor class: a streaming tar extractor fed chunk by chunk (see extract.cc).
Napi::Function DefineExtractor(Napi::Env env);

}  // namespace reexecer
