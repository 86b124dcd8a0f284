// clone with CLONE_VM, CLONE_PIDFD and the requested namespaces (clone3 without CLONE_VM for
// a PID namespace's init). The child runs RunChild; the parent returns the pidfd, the
// write end of the "maps are written" pipe and the read end of the error pipe, and leaves
// the rest (maps, waiting, reaping) to JS and ExitWatcher.
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <poll.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "child_plan.h"
#include "errors.h"
#include "raw_syscall.h"

namespace reexecer {
namespace {

constexpr uint64_t kNamespaceFlags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC |
                                     CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWCGROUP;

// Owns the strings and the NULL-terminated pointer array execve wants; built before the
// clone because the child may not allocate.
class CStringArray {
 public:
  void Fill(const Napi::Array& values) {
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

constexpr size_t kChildStackSize = 64 * 1024;
constexpr size_t kGuardSize = 4096;

// Everything the child reads until its exec. A child that shares the parent's memory reads
// it while the parent goes on, so the request outlives Spawn: it waits in g_running until
// the kernel has cleared `child_tid` (CLONE_CHILD_CLEARTID), which it does when the child
// execs or exits, as the child lets go of the parent's memory.
struct SpawnRequest {
  std::string file, cwd, hostname, self_uid_map, self_gid_map;
  CStringArray argv, envp;
  std::vector<int> fds;
  ChildPlan plan{};
  void* stack = MAP_FAILED;
  std::atomic<pid_t> child_tid{1};

  ~SpawnRequest() {
    if (stack != MAP_FAILED) munmap(stack, kGuardSize + kChildStackSize);
  }
  bool AllocateStack() {
    stack = mmap(nullptr, kGuardSize + kChildStackSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    return stack != MAP_FAILED && mprotect(stack, kGuardSize, PROT_NONE) == 0;  // overflow faults
  }
  bool Released() const { return child_tid.load(std::memory_order_acquire) == 0; }
};

std::mutex g_running_mutex;
std::vector<std::unique_ptr<SpawnRequest>> g_running;

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
class SignalsBlocked {
 public:
  SignalsBlocked() {
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &previous_);
  }
  ~SignalsBlocked() {
    int saved = errno;
    sigprocmask(SIG_SETMASK, &previous_, nullptr);
    errno = saved;
  }

 private:
  sigset_t previous_;
};

// A copy of the parent (clone3 without CLONE_VM): for a PID namespace's init, which never
// execs and so would hold the parent's memory for ever, and where raw_syscall.h has no
// errno-free calls.
long CloneCopy(uint64_t flags, const ChildPlan& plan, int* pidfd) {
  clone_args args{};
  args.flags = flags | CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(pidfd);
  args.exit_signal = SIGCHLD;
  SignalsBlocked blocked;
  long pid = syscall(SYS_clone3, &args, sizeof(args));
  if (pid == 0) RunChild(plan);
  return pid;
}

int RunSharedChild(void* request) {
  RunChild(static_cast<SpawnRequest*>(request)->plan);
}

// The child shares the parent's memory and runs on a stack of its own (CLONE_VM), as
// glibc's posix_spawn does: no page table is copied, so the cost does not grow with the
// host's heap. Unlike posix_spawn the parent does not sleep until the exec (no
// CLONE_VFORK): it may have to write the child's id maps first, and a child stopped before
// its exec must not hold the parent's thread (the wait for the exec is bounded in JS).
long CloneShared(uint64_t flags, SpawnRequest& request, int* pidfd) {
  SignalsBlocked blocked;
  char* top = static_cast<char*>(request.stack) + kGuardSize + kChildStackSize;
  return clone(RunSharedChild, top, static_cast<int>(flags | CLONE_VM | CLONE_PIDFD | CLONE_CHILD_CLEARTID) | SIGCHLD, &request, pidfd,
               nullptr, reinterpret_cast<pid_t*>(&request.child_tid));
}

}  // namespace

void ReleaseFinishedSpawns() {
  std::lock_guard<std::mutex> lock(g_running_mutex);
  g_running.erase(std::remove_if(g_running.begin(), g_running.end(), [](const auto& r) { return r->Released(); }), g_running.end());
}

Napi::Value Spawn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "spawn(options): options must be an object");
  Napi::Object options = info[0].As<Napi::Object>();
  ReleaseFinishedSpawns();

  auto request = std::make_unique<SpawnRequest>();
  ChildPlan& plan = request->plan;
  request->file = options.Get("file").As<Napi::String>().Utf8Value();
  request->argv.Fill(options.Get("argv").As<Napi::Array>());
  request->envp.Fill(options.Get("env").As<Napi::Array>());
  request->cwd = OptionalString(options, "cwd");
  request->hostname = OptionalString(options, "hostname");
  Napi::Array fd_values = options.Get("fds").As<Napi::Array>();
  if (fd_values.Length() > static_cast<uint32_t>(kMaxChildFds))
    throw Napi::RangeError::New(env, "spawn: at most " + std::to_string(kMaxChildFds) + " fds can be passed");
  for (uint32_t i = 0; i < fd_values.Length(); ++i) request->fds.push_back(fd_values.Get(i).As<Napi::Number>().Int32Value());
  uint64_t flags = static_cast<uint64_t>(options.Get("cloneFlags").As<Napi::Number>().Int64Value());
  if ((flags & ~kNamespaceFlags) != 0) throw Napi::RangeError::New(env, "spawn: cloneFlags may only hold namespace flags");

  plan.file = request->file.c_str();
  plan.argv = request->argv.get();
  plan.envp = request->envp.get();
  plan.cwd = request->cwd.empty() ? nullptr : request->cwd.c_str();
  plan.cwd_or_root = OptionalBool(options, "cwdOrRoot");
  plan.hostname = request->hostname.empty() ? nullptr : request->hostname.c_str();
  plan.fds = request->fds.data();
  plan.fd_count = static_cast<int>(request->fds.size());
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
  Napi::Value self_map = options.Get("selfMap");
  if (self_map.IsObject()) {
    Napi::Object ids = self_map.As<Napi::Object>();
    request->self_uid_map = "0 " + std::to_string(ids.Get("uid").As<Napi::Number>().Uint32Value()) + " 1\n";
    request->self_gid_map = "0 " + std::to_string(ids.Get("gid").As<Napi::Number>().Uint32Value()) + " 1\n";
    plan.self_uid_map = request->self_uid_map.c_str();
    plan.self_gid_map = request->self_gid_map.c_str();
  }
  plan.pid_init = (flags & CLONE_NEWPID) != 0 && OptionalBool(options, "pidInit");
  bool shared = kHasRawSyscall && !plan.pid_init;
  if (shared && !request->AllocateStack()) throw SyscallError(env, "mmap-stack", errno);

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
  long pid = shared ? CloneShared(flags, *request, &pidfd) : CloneCopy(flags, plan, &pidfd);
  if (pid < 0) {
    int err = errno;
    sync.Close();
    failure.Close();
    throw SyscallError(env, shared ? "clone" : "clone3", err);
  }
  if (shared) {
    std::lock_guard<std::mutex> lock(g_running_mutex);
    g_running.push_back(std::move(request));
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
