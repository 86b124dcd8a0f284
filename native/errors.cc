#include "errors.h"

#include <string>

namespace reexecer {

// Only the number crosses to JS: the errno name and text come from Node there
// (util.getSystemErrorMap), so no libc-specific call such as glibc's strerrorname_np.
Napi::Error SyscallError(Napi::Env env, const char* step, int err) {
  Napi::Error error = Napi::Error::New(env, std::string(step) + " failed: errno " + std::to_string(err));
  error.Set("step", Napi::String::New(env, step));
  error.Set("errno", Napi::Number::New(env, err));
  return error;
}

}  // namespace reexecer
