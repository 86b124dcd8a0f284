#pragma once

#include <napi.h>
#include <uv.h>

namespace reexecer {

// new ExitWatcher(pidfd, onExit(exitCode, signal, cpuMs)): owns the pidfd, watches it with
// uv_poll on the event loop (no thread, no threadpool), reaps with waitid(P_PIDFD) and
// kills with pidfd_send_signal, which cannot hit a recycled pid.
class ExitWatcher : public Napi::ObjectWrap<ExitWatcher> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit ExitWatcher(const Napi::CallbackInfo& info);
  ~ExitWatcher() override;

 private:
  static void OnReadable(uv_poll_t* poll, int status, int events);
  void Reap();
  Napi::Value Kill(const Napi::CallbackInfo& info);
  Napi::Value Ref(const Napi::CallbackInfo& info);
  Napi::Value Unref(const Napi::CallbackInfo& info);

  int pidfd_;
  uv_poll_t* poll_;  // freed in its close callback, which may outlive this object
  Napi::FunctionReference on_exit_;
  Napi::AsyncContext context_;
};

}  // namespace reexecer
