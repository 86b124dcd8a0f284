// clone3 with CLONE_PIDFD and the requested namespaces. The child runs RunChild; the
// parent returns the pidfd, the write end of the "maps are written" pipe and the read end
// of the error pipe, and leaves the rest (maps, waiting, reaping) to JS and ExitWatcher.
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <poll.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "child_plan.h"
#include "errors.h"

namespace reexecer {
namespace {

constexpr uint64_t kNamespaceFlags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC |
                                     CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWCGROUP;

// Owns the strings and the NULL-terminated pointer array execve wants; built before the
// clone because the child may not allocate.
class CStringArray {
 public:
  explicit CStringArray(const Napi::Array& values) {
    strings_.reserve(values.Length());
    for (uint32_t i = 0; i < values.Length(); ++i) strings_.push_back(values.Get(i).As<Napi::String>().Utf8Value());
    for (auto& s : strings_) pointers_.push_back(s.data());
    pointers_.push_back(nullptr);
  }
  char* const* get() { return pointers_.data(); }

 private:
  std::vector<std::string> strings_;
  std::vector<char*> pointers_;
};

class Pipe {
 public:
  int read = -1, write = -1;
  bool Open() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) return false;
    read = fds[0];
    write = fds[1];
    return true;
  }
  void Close() {
    if (read >= 0) close(read);
    if (write >= 0) close(write);
    read = write = -1;
  }
};

std::string OptionalString(const Napi::Object& options, const char* key) {
  Napi::Value value = options.Get(key);
  return value.IsString() ? value.As<Napi::String>().Utf8Value() : std::string();
}

bool OptionalBool(const Napi::Object& options, const char* key) {
  return options.Get(key).ToBoolean().Value();
}

// rlimits: [[resource, soft, hard], ...]; RLIM_INFINITY is given as -1.
void ReadRlimits(Napi::Env env, const Napi::Value& value, ChildPlan& plan) {
  if (!value.IsArray()) return;
  Napi::Array list = value.As<Napi::Array>();
  if (list.Length() > static_cast<uint32_t>(kMaxRlimits)) throw Napi::RangeError::New(env, "spawn: too many rlimits");
  for (uint32_t i = 0; i < list.Length(); ++i) {
    Napi::Array entry = list.Get(i).As<Napi::Array>();
    auto limit = [&](uint32_t at) {
      int64_t v = entry.Get(at).As<Napi::Number>().Int64Value();
      return v < 0 ? RLIM_INFINITY : static_cast<rlim_t>(v);
    };
    plan.rlimits[i] = {entry.Get(0u).As<Napi::Number>().Int32Value(), limit(1), limit(2)};
  }
  plan.rlimit_count = static_cast<int>(list.Length());
}

// Signals are blocked across the clone so that no handler of the parent's (libuv's,
// writing to the parent's signal pipe) runs in the child before it resets them.
// sigprocmask, not pthread_sigmask: on Linux (glibc and musl) both set the calling
// thread's mask, and pthread_sigmask@GLIBC_2.32 asks more of the system's glibc.
long Clone3(clone_args* args) {
  sigset_t all, previous;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &previous);
  long pid = syscall(SYS_clone3, args, sizeof(*args));
  int saved = errno;
  if (pid != 0) sigprocmask(SIG_SETMASK, &previous, nullptr);
  errno = saved;
  return pid;
}

// The child shares the parent's memory and runs on `stack` (CLONE_VM), and the parent
// sleeps until it has exec'd or exited (CLONE_VFORK), as glibc's posix_spawn does: no page
// tables are copied, so the cost does not grow with the host's heap. The plan and every
// string it points to stay valid because the parent's frame cannot unwind meanwhile. The
// child's libc calls set errno in the sleeping parent thread's TLS, which the parent does
// not read after a successful clone. Only for a child that does not wait for the parent
// (a parent asleep could not write its maps) and that execs (not a PID namespace's init).
int RunSharedChild(void* plan) {
  RunChild(*static_cast<const ChildPlan*>(plan));
}

constexpr size_t kChildStackSize = 64 * 1024;

long CloneShared(uint64_t flags, const ChildPlan& plan, int* pidfd) {
  alignas(64) char stack[kChildStackSize];
  sigset_t all, previous;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &previous);  // not pthread_sigmask: see Clone3
  long pid = clone(RunSharedChild, stack + sizeof(stack), static_cast<int>(flags | CLONE_VM | CLONE_VFORK | CLONE_PIDFD) | SIGCHLD,
                   const_cast<ChildPlan*>(&plan), pidfd, nullptr, nullptr);
  int saved = errno;
  sigprocmask(SIG_SETMASK, &previous, nullptr);
  errno = saved;
  return pid;
}

}  // namespace

Napi::Value Spawn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "spawn(options): options must be an object");
  Napi::Object options = info[0].As<Napi::Object>();

  std::string file = options.Get("file").As<Napi::String>().Utf8Value();
  CStringArray argv(options.Get("argv").As<Napi::Array>());
  CStringArray envp(options.Get("env").As<Napi::Array>());
  std::string cwd = OptionalString(options, "cwd");
  std::string hostname = OptionalString(options, "hostname");
  Napi::Array fd_values = options.Get("fds").As<Napi::Array>();
  if (fd_values.Length() > static_cast<uint32_t>(kMaxChildFds))
    throw Napi::RangeError::New(env, "spawn: at most " + std::to_string(kMaxChildFds) + " fds can be passed");
  std::vector<int> fds;
  for (uint32_t i = 0; i < fd_values.Length(); ++i) fds.push_back(fd_values.Get(i).As<Napi::Number>().Int32Value());
  uint64_t flags = static_cast<uint64_t>(options.Get("cloneFlags").As<Napi::Number>().Int64Value());
  if ((flags & ~kNamespaceFlags) != 0) throw Napi::RangeError::New(env, "spawn: cloneFlags may only hold namespace flags");

  ChildPlan plan{};
  plan.file = file.c_str();
  plan.argv = argv.get();
  plan.envp = envp.get();
  plan.cwd = cwd.empty() ? nullptr : cwd.c_str();
  plan.cwd_or_root = OptionalBool(options, "cwdOrRoot");
  plan.hostname = hostname.empty() ? nullptr : hostname.c_str();
  plan.fds = fds.data();
  plan.fd_count = static_cast<int>(fds.size());
  plan.wait_for_parent = OptionalBool(options, "waitForParent");
  plan.set_ids = options.Get("uid").IsNumber();
  if (plan.set_ids) {
    plan.uid = options.Get("uid").As<Napi::Number>().Uint32Value();
    plan.gid = options.Get("gid").As<Napi::Number>().Uint32Value();
  }
  plan.drop_groups = OptionalBool(options, "dropGroups");
  plan.no_new_privs = OptionalBool(options, "noNewPrivileges");
  // A mount namespace made together with a user namespace already turns shared mounts
  // into slaves (the kernel's CL_SHARED_TO_SLAVE); only root without one must do it.
  plan.private_mounts = (flags & CLONE_NEWNS) != 0 && (flags & CLONE_NEWUSER) == 0;
  plan.parent_pid = (flags & CLONE_NEWPID) != 0 ? 0 : getpid();
  plan.landlock_scope = OptionalBool(options, "landlockScope");
  ReadRlimits(env, options.Get("rlimits"), plan);
  std::string self_uid_map, self_gid_map;
  Napi::Value self_map = options.Get("selfMap");
  if (self_map.IsObject()) {
    Napi::Object ids = self_map.As<Napi::Object>();
    self_uid_map = "0 " + std::to_string(ids.Get("uid").As<Napi::Number>().Uint32Value()) + " 1\n";
    self_gid_map = "0 " + std::to_string(ids.Get("gid").As<Napi::Number>().Uint32Value()) + " 1\n";
    plan.self_uid_map = self_uid_map.c_str();
    plan.self_gid_map = self_gid_map.c_str();
  }
  plan.pid_init = (flags & CLONE_NEWPID) != 0 && OptionalBool(options, "pidInit");

  Pipe sync, failure;
  if (!failure.Open()) throw SyscallError(env, "pipe2", errno);
  if (plan.wait_for_parent && !sync.Open()) {
    int err = errno;
    failure.Close();
    throw SyscallError(env, "pipe2", err);
  }
  plan.sync_read = sync.read;
  plan.sync_write = sync.write;
  plan.error_read = failure.read;
  plan.error_write = failure.write;

  int pidfd = -1;
  long pid;
  const char* step;
  // An init of a PID namespace never execs: a CLONE_VFORK parent would sleep for ever.
  if (plan.wait_for_parent || plan.pid_init) {
    clone_args args{};
    args.flags = flags | CLONE_PIDFD;
    args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
    args.exit_signal = SIGCHLD;
    step = "clone3";
    pid = Clone3(&args);
    if (pid == 0) RunChild(plan);
  } else {
    step = "clone";
    pid = CloneShared(flags, plan, &pidfd);
  }
  if (pid < 0) {
    int err = errno;
    sync.Close();
    failure.Close();
    throw SyscallError(env, step, err);
  }

  if (sync.read >= 0) close(sync.read);
  close(failure.write);
  Napi::Object result = Napi::Object::New(env);
  result.Set("pid", Napi::Number::New(env, static_cast<double>(pid)));
  result.Set("pidfd", Napi::Number::New(env, pidfd));
  result.Set("syncFd", Napi::Number::New(env, sync.write));
  result.Set("errorFd", Napi::Number::New(env, failure.read));
  return result;
}

// pollReadable(fd, timeoutMs) -> boolean: whether a read of fd would not block. The
// parent's wait for exec is bounded by it: a child stopped before exec must not freeze the
// event loop.
Napi::Value PollReadable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) throw Napi::TypeError::New(env, "pollReadable(fd, timeoutMs)");
  struct pollfd probe = {info[0].As<Napi::Number>().Int32Value(), POLLIN, 0};
  int timeout = info[1].As<Napi::Number>().Int32Value();
  int rc;
  do rc = poll(&probe, 1, timeout);
  while (rc < 0 && errno == EINTR);
  if (rc < 0) throw SyscallError(env, "poll", errno);
  return Napi::Boolean::New(env, rc > 0);
}

}  // namespace reexecer
