#pragma once

#include <napi.h>
#include <uv.h>

namespace reexecer {

struct Watch;

// new ExitWatcher(pidfd, onExit(exitCode, signal, cpuMs)): owns the pidfd, watches it with
// uv_poll on the event loop (no thread, no threadpool), reaps with waitid(P_PIDFD) and
// kills with pidfd_send_signal, which cannot hit a recycled pid. When the environment (a
// worker thread) ends first, its cleanup hook kills and reaps the child and closes the
// handle: a uv_poll left open aborts the worker's loop teardown.
class ExitWatcher : public Napi::ObjectWrap<ExitWatcher> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit ExitWatcher(const Napi::CallbackInfo& info);
  ~ExitWatcher() override;

 private:
  static void OnReadable(uv_poll_t* poll, int status, int events);
  static void OnEnvCleanup(napi_async_cleanup_hook_handle hook, void* watch);
  void Reap();
  // Stops watching: closes the poll handle, then the pidfd.
  void Release();
  void KillAndRelease();
  Napi::Value Kill(const Napi::CallbackInfo& info);
  Napi::Value Ref(const Napi::CallbackInfo& info);
  Napi::Value Unref(const Napi::CallbackInfo& info);

  Watch* watch_;  // freed in the poll handle's close callback, which may outlive this object
  Napi::FunctionReference on_exit_;
  Napi::AsyncContext context_;
};

}  // namespace reexecer
