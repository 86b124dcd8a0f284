#include "errors.h"

#include <string.h>

#include <string>

namespace reexecer {

Napi::Error SyscallError(Napi::Env env, const char* step, int err) {
  const char* name = strerrorname_np(err);
  std::string code = name != nullptr ? name : "E" + std::to_string(err);
  Napi::Error error = Napi::Error::New(env, std::string(step) + " failed: " + code + " (" + strerror(err) + ")");
  error.Set("step", Napi::String::New(env, step));
  error.Set("errno", Napi::Number::New(env, err));
  error.Set("code", Napi::String::New(env, code));
  return error;
}

}  // namespace reexecer
