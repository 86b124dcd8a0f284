// Landlock. The UAPI is defined here rather than taken from <linux/landlock.h>: build
// machines carry older headers (Debian 12's know ABI 3) than the kernels the addon runs on.
#include "landlock.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <vector>

#include "errors.h"
#include "raw_syscall.h"

namespace reexecer {
namespace {

constexpr long kCreateRuleset = 444;  // the same number on every arch
constexpr long kAddRule = 445;
constexpr long kRestrictSelf = 446;
constexpr uint32_t kCreateRulesetVersion = 1;
constexpr int kRulePathBeneath = 1;

struct RulesetAttr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;
  uint64_t scoped;  // ABI 6
};

struct __attribute__((packed)) PathBeneathAttr {
  uint64_t allowed_access;
  int32_t parent_fd;
};

constexpr uint64_t kScopeAbstractUnixSocket = 1ULL << 0;
constexpr uint64_t kScopeSignal = 1ULL << 1;

constexpr uint64_t kExecute = 1ULL << 0, kWriteFile = 1ULL << 1, kReadFile = 1ULL << 2, kReadDir = 1ULL << 3;
constexpr uint64_t kMakeChar = 1ULL << 6, kMakeBlock = 1ULL << 11, kTruncate = 1ULL << 14, kIoctlDev = 1ULL << 15;
constexpr uint64_t kAllFs = (1ULL << 16) - 1;  // every right up to ABI 5's IOCTL_DEV
constexpr uint64_t kFileRights = kExecute | kWriteFile | kReadFile | kTruncate | kIoctlDev;
constexpr uint64_t kReadRights = kExecute | kReadFile | kReadDir;
constexpr uint64_t kWriteRights = kAllFs & ~(kMakeChar | kMakeBlock);  // device nodes: never

// Without no_new_privs the kernel wants CAP_SYS_ADMIN in the task's user namespace; a
// domain cannot be had without one of them, so no_new_privs is set when `may_set_nnp`.
long RestrictSelf(int ruleset, bool may_set_nnp = true) {
  long rc = syscall(kRestrictSelf, ruleset, 0);
  if (rc < 0 && errno == EPERM && may_set_nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0) rc = syscall(kRestrictSelf, ruleset, 0);
  return rc;
}

// landlock_restrict_self binds the calling thread only (ABI 7 has no flag for the whole
// process), and Node's threads exist already: each one is asked, by a signal whose handler
// makes the two raw syscalls, to restrict itself.
int g_ruleset = -1;
int g_task_dir = -1;
std::vector<pid_t> g_blocking;  // threads that block the signal, seen while /proc was reachable
std::atomic<int> g_pending{0};
std::atomic<int> g_failed_errno{0};

void OnRestrictSignal(int) {
  int saved = errno;
  if (RestrictSelf(g_ruleset) < 0) g_failed_errno.store(errno);
  g_pending.fetch_sub(1);
  errno = saved;
}

// Read through the fd opened before the chroot, rewound: reopening "." relative to it is
// refused once the process's root no longer holds /proc.
std::vector<pid_t> Threads(int task_dir) {
  std::vector<pid_t> tids;
  if (lseek(task_dir, 0, SEEK_SET) < 0) return tids;
  alignas(8) char buffer[4096];
  for (long n; (n = syscall(SYS_getdents64, task_dir, buffer, sizeof(buffer))) > 0;) {
    for (long at = 0; at < n;) {
      auto* entry = reinterpret_cast<dirent64*>(buffer + at);
      if (entry->d_name[0] >= '0' && entry->d_name[0] <= '9') tids.push_back(static_cast<pid_t>(atoi(entry->d_name)));
      at += entry->d_reclen;
    }
  }
  return tids;
}

// A thread that blocks the signal cannot take part: Node's inspector thread blocks every
// signal and only ever waits for SIGUSR1; it does no file access of its own.
bool BlocksSignal(pid_t tid, int sig) {
  std::string path = "/proc/self/task/" + std::to_string(tid) + "/status";
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buffer[4096];
  ssize_t n = read(fd, buffer, sizeof(buffer) - 1);
  close(fd);
  if (n <= 0) return false;
  buffer[n] = '\0';
  const char* line = strstr(buffer, "SigBlk:");
  if (line == nullptr) return false;
  unsigned long long mask = strtoull(line + 7, nullptr, 16);
  return (mask >> (sig - 1)) & 1;
}

int RestrictSignal() {
  return SIGRTMIN + 3;
}

void Close(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

std::vector<std::string> Paths(const Napi::Value& value) {
  std::vector<std::string> paths;
  if (!value.IsArray()) return paths;
  Napi::Array array = value.As<Napi::Array>();
  for (uint32_t i = 0; i < array.Length(); ++i) paths.push_back(array.Get(i).As<Napi::String>().Utf8Value());
  return paths;
}

struct OpenHow {
  uint64_t flags;
  uint64_t mode;
  uint64_t resolve;
};
constexpr long kOpenat2 = 437;           // the same number on every arch
constexpr uint64_t kResolveInRoot = 0x10;  // RESOLVE_IN_ROOT

// Resolved as the sandbox will see it: inside `root`, symlinks included (an absolute
// symlink planted in the chroot dir must not grant a tree of the host).
void AddRules(Napi::Env env, int root, int ruleset, const std::vector<std::string>& paths, uint64_t rights) {
  for (const std::string& path : paths) {
    OpenHow how{O_PATH | O_CLOEXEC, 0, kResolveInRoot};
    int fd = static_cast<int>(syscall(kOpenat2, root, path.c_str(), &how, sizeof(how)));
    if (fd < 0) throw SyscallError(env, ("landlock path " + path).c_str(), errno);
    struct stat st;
    PathBeneathAttr rule{rights, fd};
    if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode)) rule.allowed_access &= kFileRights;
    long rc = syscall(kAddRule, ruleset, kRulePathBeneath, &rule, 0);
    int err = errno;
    close(fd);
    if (rc < 0) throw SyscallError(env, "landlock_add_rule", err);
  }
}

}  // namespace

int LandlockAbi() {
  long abi = syscall(kCreateRuleset, nullptr, 0, kCreateRulesetVersion);
  return abi < 0 ? 0 : static_cast<int>(abi);
}

long LandlockScopeSelf(bool may_set_nnp) {
  RulesetAttr attr{0, 0, kScopeAbstractUnixSocket | kScopeSignal};
  long ruleset = RawSyscall(kCreateRuleset, reinterpret_cast<long>(&attr), sizeof(attr), 0);
  if (RawFailed(ruleset)) return ruleset;
  long rc = RawSyscall(kRestrictSelf, ruleset, 0);
  // Without no_new_privs the kernel wants CAP_SYS_ADMIN in the namespace (see RestrictSelf).
  if (rc == -EPERM && may_set_nnp && RawSyscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0) rc = RawSyscall(kRestrictSelf, ruleset, 0);
  RawSyscall(SYS_close, ruleset);
  // The caller turned no_new_privs off and the child holds no CAP_SYS_ADMIN: scoping is
  // left out, as on a kernel without it, rather than overriding that choice.
  if (rc == -EPERM && !may_set_nnp) return 0;
  return rc;
}

Napi::Value LandlockAbiJs(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), LandlockAbi());
}

// landlockPrepare(root, read, write), before the chroot into `root` (or "/" without one):
// the paths are the sandbox's, resolved in `root`; the rules hold inodes, so they still
// apply after chroot or pivot_root. /proc/self/task is
// opened now too, while /proc is reachable (which threads block signals is read now too);
// landlockEnforce closes it again.
Napi::Value LandlockPrepare(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString()) throw Napi::TypeError::New(env, "landlockPrepare(root, read, write)");
  Close(g_ruleset);
  Close(g_task_dir);
  RulesetAttr attr{kAllFs, 0, kScopeAbstractUnixSocket | kScopeSignal};
  long ruleset = syscall(kCreateRuleset, &attr, sizeof(attr), 0);
  if (ruleset < 0) throw SyscallError(env, "landlock_create_ruleset", errno);
  g_ruleset = static_cast<int>(ruleset);
  int root = open(info[0].As<Napi::String>().Utf8Value().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) {
    int err = errno;
    Close(g_ruleset);
    throw SyscallError(env, "landlock-root", err);
  }
  try {
    AddRules(env, root, g_ruleset, Paths(info[1]), kReadRights);
    AddRules(env, root, g_ruleset, Paths(info[2]), kWriteRights);
  } catch (...) {
    close(root);
    Close(g_ruleset);
    throw;
  }
  close(root);
  g_task_dir = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (g_task_dir < 0) {
    int err = errno;
    Close(g_ruleset);
    throw SyscallError(env, "open-proc-self-task", err);
  }
  g_blocking.clear();
  for (pid_t tid : Threads(g_task_dir))
    if (BlocksSignal(tid, RestrictSignal())) g_blocking.push_back(tid);
  return env.Undefined();
}

// Restricts this thread and every other one (see OnRestrictSignal); returns how many
// threads could not be asked because they block every signal.
Napi::Value LandlockEnforce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (g_ruleset < 0 || g_task_dir < 0) throw Napi::Error::New(env, "landlockEnforce() needs landlockPrepare() first");
  const int sig = RestrictSignal();
  struct sigaction action {}, previous{};
  action.sa_handler = OnRestrictSignal;
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  if (sigaction(sig, &action, &previous) < 0) throw SyscallError(env, "sigaction", errno);

  const pid_t self = static_cast<pid_t>(syscall(SYS_gettid));
  std::vector<pid_t> done{self};
  int skipped = 0;
  int err = 0;
  const char* step = nullptr;
  if (RestrictSelf(g_ruleset) < 0) {
    err = errno;
    step = "landlock_restrict_self";
  }
  // Until no new thread shows up: a thread may start one while others are asked.
  for (int round = 0; step == nullptr && round < 8; ++round) {
    int asked = 0;
    for (pid_t tid : Threads(g_task_dir)) {
      bool seen = false;
      for (pid_t d : done) seen = seen || d == tid;
      if (seen) continue;
      done.push_back(tid);
      bool blocking = false;
      for (pid_t b : g_blocking) blocking = blocking || b == tid;
      if (blocking) {
        ++skipped;
        continue;
      }
      g_pending.fetch_add(1);
      if (syscall(SYS_tgkill, getpid(), tid, sig) < 0) g_pending.fetch_sub(1);  // it exited
      else ++asked;
    }
    if (asked == 0) break;
    timespec pause{0, 100 * 1000};
    for (int waited = 0; g_pending.load() > 0 && waited < 20000; ++waited) nanosleep(&pause, nullptr);
    if (g_pending.load() > 0) {
      err = ETIMEDOUT;
      step = "landlock-threads";
    } else if (g_failed_errno.load() != 0) {
      err = g_failed_errno.load();
      step = "landlock_restrict_self-thread";
    }
  }
  sigaction(sig, &previous, nullptr);
  Close(g_ruleset);
  Close(g_task_dir);
  if (step != nullptr) throw SyscallError(env, step, err);
  return Napi::Number::New(env, skipped);
}

}  // namespace reexecer
