// Errors thrown to JS carry the failing step and errno so that JS can say exactly what the
// kernel refused ("setresuid failed: EPERM").
#pragma once

#include <napi.h>

namespace reexecer {

Napi::Error SyscallError(Napi::Env env, const char* step, int err);

}  // namespace reexecer
