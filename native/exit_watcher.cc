#include "exit_watcher.h"

#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <poll.h>
#include <unistd.h>

#include "errors.h"
#include "spawn.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace reexecer {

// What outlives the ExitWatcher until libuv has closed the handle. The environment's async
// cleanup hook stays registered until then: Node unloads the addon of a finished worker,
// and a close callback left pending would jump into unmapped code.
struct Watch {
  uv_poll_t poll;
  int pidfd = -1;
  napi_async_cleanup_hook_handle hook = nullptr;
  ExitWatcher* owner = nullptr;  // nullptr once closing
};

namespace {

void OnClosed(uv_handle_t* handle) {
  auto* watch = reinterpret_cast<Watch*>(handle);
  if (watch->hook != nullptr) napi_remove_async_cleanup_hook(watch->hook);
  delete watch;
}

}  // namespace

Napi::Function ExitWatcher::Define(Napi::Env env) {
  return DefineClass(env, "ExitWatcher",
                     {InstanceMethod<&ExitWatcher::Kill>("kill"), InstanceMethod<&ExitWatcher::Ref>("ref"),
                      InstanceMethod<&ExitWatcher::Unref>("unref")});
}

ExitWatcher::ExitWatcher(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<ExitWatcher>(info), watch_(nullptr), context_(info.Env(), "reexecer:exit") {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsFunction())
    throw Napi::TypeError::New(env, "new ExitWatcher(pidfd, onExit)");
  int pidfd = info[0].As<Napi::Number>().Int32Value();
  on_exit_ = Napi::Persistent(info[1].As<Napi::Function>());

  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) throw Napi::Error::New(env, "ExitWatcher: no event loop");
  auto* watch = new Watch;
  int rc = uv_poll_init(loop, &watch->poll, pidfd);
  if (rc != 0) {
    delete watch;
    throw SyscallError(env, "uv_poll_init", -rc);
  }
  watch->pidfd = pidfd;
  watch->owner = this;
  watch->poll.data = watch;
  watch_ = watch;
  rc = uv_poll_start(&watch->poll, UV_READABLE, &ExitWatcher::OnReadable);
  if (rc == 0 && napi_add_async_cleanup_hook(env, &ExitWatcher::OnEnvCleanup, watch, &watch->hook) != napi_ok) rc = UV_ENOMEM;
  if (rc != 0) {
    watch->pidfd = -1;  // the caller still owns it
    Release();
    throw SyscallError(env, "uv_poll_start", -rc);
  }
  Napi::ObjectWrap<ExitWatcher>::Ref();  // alive while the child is
}

// Only the environment's teardown finalizes a watcher whose child still runs (it holds a
// reference to itself until the reap).
ExitWatcher::~ExitWatcher() { KillAndRelease(); }

void ExitWatcher::Release() {
  if (watch_ == nullptr) return;
  watch_->owner = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&watch_->poll), OnClosed);
  if (watch_->pidfd >= 0) close(watch_->pidfd);  // after uv_close: epoll must not see a closed fd
  watch_->pidfd = -1;
  watch_ = nullptr;
}

// The environment is going away with the child still running: no JS may run now, so the
// child is killed and reaped here (SIGKILL cannot be caught; the wait is the kernel's
// teardown of that process) and nobody is told.
void ExitWatcher::KillAndRelease() {
  if (watch_ == nullptr) return;
  syscall(SYS_pidfd_send_signal, watch_->pidfd, SIGKILL, nullptr, 0);
  siginfo_t child{};
  // libuv made the pidfd non-blocking (waitid then says EAGAIN): wait for it to poll readable.
  struct pollfd exited = {watch_->pidfd, POLLIN, 0};
  int rc;
  do rc = waitid(static_cast<idtype_t>(P_PIDFD), watch_->pidfd, &child, WEXITED);
  while (rc < 0 && (errno == EINTR || (errno == EAGAIN && (poll(&exited, 1, -1) >= 0 || errno == EINTR))));
  Release();
}

void ExitWatcher::OnEnvCleanup(napi_async_cleanup_hook_handle, void* data) {
  auto* watch = static_cast<Watch*>(data);
  if (watch->owner != nullptr) watch->owner->KillAndRelease();  // else closing: OnClosed removes the hook
}

void ExitWatcher::OnReadable(uv_poll_t* poll, int, int) {
  auto* watch = static_cast<Watch*>(poll->data);
  if (watch->owner != nullptr) watch->owner->Reap();
}

void ExitWatcher::Reap() {
  siginfo_t child{};
  rusage usage{};
  long rc;
  // The raw syscall reports the child's CPU time too, which tells a CPU limit's SIGKILL
  // from any other.
  do rc = syscall(SYS_waitid, P_PIDFD, watch_->pidfd, &child, WEXITED | WNOHANG, &usage);
  while (rc < 0 && errno == EINTR);
  if (rc == 0 && child.si_pid == 0) return;  // woken without an exit: keep watching
  ReleaseFinishedSpawns();
  int wait_errno = errno;
  Release();

  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  Napi::Value code = env.Null(), signal = env.Null();
  auto ms = [](const timeval& t) { return static_cast<double>(t.tv_sec) * 1000 + t.tv_usec / 1000.0; };
  Napi::Value cpu_ms = Napi::Number::New(env, ms(usage.ru_utime) + ms(usage.ru_stime));
  if (rc < 0) {
    code = Napi::Number::New(env, -wait_errno);  // ECHILD: reaped elsewhere; report as unknown
  } else if (child.si_code == CLD_EXITED) {
    code = Napi::Number::New(env, child.si_status);
  } else {
    signal = Napi::Number::New(env, child.si_status);
  }
  Napi::FunctionReference callback = std::move(on_exit_);
  Napi::ObjectWrap<ExitWatcher>::Unref();
  // Called from libuv with no JS frame to catch it: an exception escaping here would reach
  // std::terminate. Node's uncaught-exception path is where it belongs.
  try {
    callback.MakeCallback(env.Global(), {code, signal, cpu_ms}, context_);
  } catch (const Napi::Error& error) {
    napi_fatal_exception(env, error.Value());
  }
}

Napi::Value ExitWatcher::Kill(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sig = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : SIGTERM;
  if (watch_ == nullptr) return Napi::Boolean::New(env, false);
  if (syscall(SYS_pidfd_send_signal, watch_->pidfd, sig, nullptr, 0) == 0) return Napi::Boolean::New(env, true);
  if (errno == ESRCH) return Napi::Boolean::New(env, false);
  throw SyscallError(env, "pidfd_send_signal", errno);
}

Napi::Value ExitWatcher::Ref(const Napi::CallbackInfo& info) {
  if (watch_ != nullptr) uv_ref(reinterpret_cast<uv_handle_t*>(&watch_->poll));
  return info.Env().Undefined();
}

Napi::Value ExitWatcher::Unref(const Napi::CallbackInfo& info) {
  if (watch_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(&watch_->poll));
  return info.Env().Undefined();
}

}  // namespace reexecer
