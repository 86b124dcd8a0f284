#include <napi.h>

#include "child_exit.h"
#include "exit_watcher.h"
#include "extract.h"
#include "fd_passing.h"
#include "in_child.h"
#include "landlock.h"
#include "seccomp.h"
#include "spawn.h"

namespace reexecer {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("spawn", Napi::Function::New<Spawn>(env, "spawn"));
  exports.Set("pollReadable", Napi::Function::New<PollReadable>(env, "pollReadable"));
  exports.Set("ExitWatcher", ExitWatcher::Define(env));
  exports.Set("Extractor", DefineExtractor(env));
  exports.Set("chroot", Napi::Function::New<Chroot>(env, "chroot"));
  exports.Set("pivotRoot", Napi::Function::New<PivotRoot>(env, "pivotRoot"));
  exports.Set("sethostname", Napi::Function::New<SetHostname>(env, "sethostname"));
  exports.Set("mountProc", Napi::Function::New<MountProc>(env, "mountProc"));
  exports.Set("capEff", Napi::Function::New<CapEff>(env, "capEff"));
  exports.Set("pipe", Napi::Function::New<Pipe>(env, "pipe"));
  exports.Set("close", Napi::Function::New<Close>(env, "close"));
  exports.Set("socketpair", Napi::Function::New<SocketPair>(env, "socketpair"));
  exports.Set("installSeccomp", Napi::Function::New<InstallSeccomp>(env, "installSeccomp"));
  exports.Set("seccompRefused", Napi::Function::New<SeccompRefused>(env, "seccompRefused"));
  exports.Set("landlockAbi", Napi::Function::New<LandlockAbiJs>(env, "landlockAbi"));
  exports.Set("landlockPrepare", Napi::Function::New<LandlockPrepare>(env, "landlockPrepare"));
  exports.Set("landlockEnforce", Napi::Function::New<LandlockEnforce>(env, "landlockEnforce"));
  exports.Set("sendFds", Napi::Function::New<SendFds>(env, "sendFds"));
  exports.Set("exitNow", Napi::Function::New<ExitNow>(env, "exitNow"));
  exports.Set("recvFds", Napi::Function::New<RecvFds>(env, "recvFds"));
  return exports;
}

NODE_API_MODULE(reexecer, Init)

}  // namespace reexecer
