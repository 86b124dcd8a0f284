#include "exit_watcher.h"

#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errors.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace reexecer {

Napi::Function ExitWatcher::Define(Napi::Env env) {
  return DefineClass(env, "ExitWatcher",
                     {InstanceMethod<&ExitWatcher::Kill>("kill"), InstanceMethod<&ExitWatcher::Ref>("ref"),
                      InstanceMethod<&ExitWatcher::Unref>("unref")});
}

ExitWatcher::ExitWatcher(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<ExitWatcher>(info), pidfd_(-1), poll_(nullptr), context_(info.Env(), "reexecer:exit") {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsFunction())
    throw Napi::TypeError::New(env, "new ExitWatcher(pidfd, onExit)");
  pidfd_ = info[0].As<Napi::Number>().Int32Value();
  on_exit_ = Napi::Persistent(info[1].As<Napi::Function>());

  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) throw Napi::Error::New(env, "ExitWatcher: no event loop");
  poll_ = new uv_poll_t;
  int rc = uv_poll_init(loop, poll_, pidfd_);
  if (rc == 0) rc = uv_poll_start(poll_, UV_READABLE, &ExitWatcher::OnReadable);
  if (rc != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    poll_ = nullptr;
    throw SyscallError(env, "uv_poll_start", -rc);
  }
  poll_->data = this;
  Napi::ObjectWrap<ExitWatcher>::Ref();  // alive while the child is
}

ExitWatcher::~ExitWatcher() {
  if (pidfd_ >= 0) close(pidfd_);
}

void ExitWatcher::OnReadable(uv_poll_t* poll, int, int) {
  static_cast<ExitWatcher*>(poll->data)->Reap();
}

void ExitWatcher::Reap() {
  siginfo_t child{};
  rusage usage{};
  long rc;
  // The raw syscall reports the child's CPU time too, which tells a CPU limit's SIGKILL
  // from any other.
  do rc = syscall(SYS_waitid, P_PIDFD, pidfd_, &child, WEXITED | WNOHANG, &usage);
  while (rc < 0 && errno == EINTR);
  if (rc == 0 && child.si_pid == 0) return;  // woken without an exit: keep watching

  uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
  poll_ = nullptr;
  close(pidfd_);
  pidfd_ = -1;

  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  Napi::Value code = env.Null(), signal = env.Null();
  auto ms = [](const timeval& t) { return static_cast<double>(t.tv_sec) * 1000 + t.tv_usec / 1000.0; };
  Napi::Value cpu_ms = Napi::Number::New(env, ms(usage.ru_utime) + ms(usage.ru_stime));
  if (rc < 0) {
    code = Napi::Number::New(env, -errno);  // ECHILD: reaped elsewhere; report as unknown
  } else if (child.si_code == CLD_EXITED) {
    code = Napi::Number::New(env, child.si_status);
  } else {
    signal = Napi::Number::New(env, child.si_status);
  }
  Napi::FunctionReference callback = std::move(on_exit_);
  Napi::ObjectWrap<ExitWatcher>::Unref();
  callback.MakeCallback(env.Global(), {code, signal, cpu_ms}, context_);
}

Napi::Value ExitWatcher::Kill(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sig = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : SIGTERM;
  if (pidfd_ < 0) return Napi::Boolean::New(env, false);
  if (syscall(SYS_pidfd_send_signal, pidfd_, sig, nullptr, 0) == 0) return Napi::Boolean::New(env, true);
  if (errno == ESRCH) return Napi::Boolean::New(env, false);
  throw SyscallError(env, "pidfd_send_signal", errno);
}

Napi::Value ExitWatcher::Ref(const Napi::CallbackInfo& info) {
  if (poll_ != nullptr) uv_ref(reinterpret_cast<uv_handle_t*>(poll_));
  return info.Env().Undefined();
}

Napi::Value ExitWatcher::Unref(const Napi::CallbackInfo& info) {
  if (poll_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
  return info.Env().Undefined();
}

}  // namespace reexecer
