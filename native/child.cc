// The single-threaded window between clone3 and execve. Async-signal-safe code only:
// raw syscalls and stack memory, every result checked, any failure reported through the
// error pipe as (step, errno) and followed by _exit.
#include "child_plan.h"
#include "landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/close_range.h>

namespace reexecer {
namespace {

constexpr int kFailureExit = 127;

// The error pipe moves during fd arrangement; the child is a process of its own, so a
// global is private to it.
int g_error_fd = -1;

[[noreturn]] void Fail(const char* step) {
  ChildFailure failure{};
  failure.err = errno;
  for (size_t i = 0; i + 1 < sizeof(failure.step) && step[i] != '\0'; ++i) failure.step[i] = step[i];
  ssize_t ignored = write(g_error_fd, &failure, sizeof(failure));
  (void)ignored;
  _exit(kFailureExit);
}

void Check(long result, const char* step) {
  if (result < 0) Fail(step);
}

// Blocks until the parent has written our id maps or gave up (EOF). The byte says whether
// setgroups is still allowed in the namespace, which only the parent knows.
char WaitForParent(const ChildPlan& plan) {
  char byte = 0;
  ssize_t n;
  do n = read(plan.sync_read, &byte, 1);
  while (n < 0 && errno == EINTR);
  if (n < 0) Fail("wait-for-maps");
  if (n == 0) _exit(kFailureExit);  // parent closed without releasing: it failed or died
  close(plan.sync_read);
  return byte;
}

void WriteProcSelf(const char* file, const char* text, const char* step) {
  int fd = open(file, O_WRONLY | O_CLOEXEC);
  Check(fd, step);
  size_t len = 0;
  while (text[len] != '\0') ++len;
  ssize_t n = write(fd, text, len);
  if (n < 0) Fail(step);
  if (static_cast<size_t>(n) != len) {
    errno = EIO;
    Fail(step);
  }
  close(fd);
}

// A self map, written by the child itself: no parent to wait for (see child_plan.h).
void WriteSelfMap(const ChildPlan& plan) {
  WriteProcSelf("/proc/self/setgroups", "deny", "write-setgroups");
  WriteProcSelf("/proc/self/uid_map", plan.self_uid_map, "write-uid-map");
  WriteProcSelf("/proc/self/gid_map", plan.self_gid_map, "write-gid-map");
}

// The parent-death signal is cleared by a credential change, so it is armed afterwards;
// the parent may have died before that, which the signal would never report.
void DieWithParent(const ChildPlan& plan) {
  Check(prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0), "prctl-pdeathsig");
  if (plan.parent_pid != 0 && getppid() != plan.parent_pid) _exit(kFailureExit);
  // In a new PID namespace getppid() reads 0, so look at the error pipe instead: its
  // read end lives only in the parent, and a pipe with no reader polls as POLLERR.
  struct pollfd probe = {g_error_fd, POLLOUT, 0};
  if (poll(&probe, 1, 0) > 0 && (probe.revents & POLLERR)) _exit(kFailureExit);
}

// fds[i] -> i. Every source is first copied above all targets so that a source that is
// also a lower target is not overwritten; dup2 onto the target clears close-on-exec,
// which matters because Node marks even 0-2 close-on-exec. The error pipe is moved up
// too and stays close-on-exec: it must survive until execve, and no longer.
void ArrangeFds(const ChildPlan& plan) {
  int floor = plan.fd_count;
  for (int i = 0; i < plan.fd_count; ++i)
    if (plan.fds[i] >= floor) floor = plan.fds[i] + 1;
  if (g_error_fd >= floor) floor = g_error_fd + 1;

  int moved = fcntl(g_error_fd, F_DUPFD_CLOEXEC, floor);
  Check(moved, "dup-error-pipe");
  g_error_fd = moved;
  int copies[kMaxChildFds];
  for (int i = 0; i < plan.fd_count; ++i) Check(copies[i] = fcntl(plan.fds[i], F_DUPFD_CLOEXEC, floor), "dup-fd");
  for (int i = 0; i < plan.fd_count; ++i) Check(dup2(copies[i], i), "dup2");
}

void CloseRange(unsigned first, unsigned last) {
  if (first > last) return;
  if (syscall(SYS_close_range, first, last, 0) == 0) return;
  if (errno != ENOSYS) Fail("close-range");
  struct rlimit limit;
  Check(getrlimit(RLIMIT_NOFILE, &limit), "getrlimit");
  for (rlim_t fd = first; fd <= last && fd < limit.rlim_cur; ++fd) close(static_cast<int>(fd));
}

// Every fd the child was not given goes, except the error pipe (close-on-exec).
void CloseOthers(const ChildPlan& plan) {
  CloseRange(plan.fd_count, g_error_fd - 1);
  CloseRange(g_error_fd + 1, ~0U);
}

// Node ignores SIGPIPE and libuv installs handlers; ignored dispositions survive exec.
void ResetSignals() {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    if (sigaction(sig, &dfl, nullptr) < 0 && errno != EINVAL) Fail("sigaction");
  }
  sigset_t none;
  sigemptyset(&none);
  Check(sigprocmask(SIG_SETMASK, &none, nullptr), "sigprocmask");
}

// pid 1 of a new PID namespace: Node reaps only the children it spawned, so orphans that
// the kernel hands to pid 1 would stay zombies. The clone child stays here as a tiny init
// (as tini and bubblewrap do): it holds no fd, forwards every signal to the program, reaps
// whatever exits, and leaves with the program's status (128 + signal when it was killed:
// init cannot die of a signal sent from inside its namespace). Its exit ends the namespace.
// All signals are blocked before the fork, so a SIGCHLD cannot come before the wait.
[[noreturn]] void RunInit(pid_t program) {
  // No fd may keep a pipe of the parent open: their EOFs are how it learns of the exec
  // and of the end of the program's output.
  if (syscall(SYS_close_range, 0U, ~0U, 0) < 0) {
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) < 0) _exit(kFailureExit);
    for (rlim_t fd = 0; fd < limit.rlim_cur; ++fd) close(static_cast<int>(fd));
  }
  sigset_t all;
  sigfillset(&all);
  for (;;) {
    siginfo_t info;
    int sig = static_cast<int>(syscall(SYS_rt_sigtimedwait, &all, &info, nullptr, _NSIG / 8));
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      kill(program, sig);
      continue;
    }
    int status;
    pid_t reaped;
    while ((reaped = static_cast<pid_t>(syscall(SYS_wait4, -1, &status, WNOHANG, nullptr))) > 0)
      if (reaped == program) _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  }
}

// Forks the program off the init; returns in the program, never in the init.
void ForkFromInit() {
  sigset_t all;
  sigfillset(&all);
  Check(sigprocmask(SIG_SETMASK, &all, nullptr), "sigprocmask");
  long program = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
  Check(program, "fork-init");
  if (program != 0) RunInit(static_cast<pid_t>(program));
  // The parent-death signal is not inherited: the program dies with its init.
  Check(prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0), "prctl-pdeathsig");
  if (getppid() != 1) _exit(kFailureExit);
  sigset_t none;
  sigemptyset(&none);
  Check(sigprocmask(SIG_SETMASK, &none, nullptr), "sigprocmask");
}

}  // namespace

void RunChild(const ChildPlan& plan) {
  g_error_fd = plan.error_write;
  close(plan.sync_write);
  close(plan.error_read);
  bool drop_groups = plan.drop_groups;
  if (plan.wait_for_parent) drop_groups = WaitForParent(plan) == kReleaseDropGroups;
  if (plan.self_uid_map != nullptr) WriteSelfMap(plan);

  // What needs privilege in the new namespaces comes first: the creator of a user
  // namespace holds every capability in it, and a non-zero target uid would drop them.
  if (plan.hostname != nullptr) {
    size_t len = 0;
    while (plan.hostname[len] != '\0') ++len;
    Check(sethostname(plan.hostname, len), "sethostname");
  }
  if (plan.private_mounts)
    Check(mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr), "mount-rslave");
  if (plan.set_ids) {
    // Raw syscalls: glibc's wrappers broadcast the change to every thread it knows of,
    // and after a raw clone it still lists the parent's threads.
    if (drop_groups) Check(syscall(SYS_setgroups, 0, nullptr), "setgroups");
    Check(syscall(SYS_setresgid, plan.gid, plan.gid, plan.gid), "setresgid");
    Check(syscall(SYS_setresuid, plan.uid, plan.uid, plan.uid), "setresuid");
  }
  DieWithParent(plan);
  if (plan.no_new_privs) Check(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl-no-new-privs");
  if (plan.landlock_scope) Check(LandlockScopeSelf(plan.no_new_privs), "landlock-scope");
  if (plan.cwd != nullptr && chdir(plan.cwd) < 0) {  // as the target user, like runc
    if (!plan.cwd_or_root || errno != EACCES) Fail("chdir");
    Check(chdir("/"), "chdir");
  }

  ArrangeFds(plan);
  CloseOthers(plan);
  ResetSignals();
  // Last, so that nothing above runs against them (a PID namespace's init and the program
  // it forks both get them); lowering a limit needs no privilege.
  for (int i = 0; i < plan.rlimit_count; ++i) {
    struct rlimit limit = {plan.rlimits[i].soft, plan.rlimits[i].hard};
    // The raw call: glibc's setrlimit takes an enum type of its own, musl's an int.
    Check(syscall(SYS_prlimit64, 0, plan.rlimits[i].resource, &limit, nullptr), "setrlimit");
  }
  if (plan.pid_init) ForkFromInit();
  execve(plan.file, plan.argv, plan.envp);
  Fail("execve");
}

}  // namespace reexecer
