// The window between clone and execve. The child shares the parent's memory (CLONE_VM, see
// spawn.cc) and runs beside the parent's thread, so it keeps to its own stack, reads the
// plan, and makes raw system calls that leave errno alone (raw_syscall.h): no libc call,
// no global, no lock, no allocation. Every result is checked; a failure is reported
// through the error pipe as (step, errno), then the child exits.
#include "child_plan.h"
#include "landlock.h"
#include "raw_syscall.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include <linux/close_range.h>

namespace reexecer {
namespace {

constexpr int kFailureExit = 127;
constexpr long kSigsetBytes = 8;  // the kernel's sigset_t on x86_64 and arm64

// What the child itself changes, on its own stack.
struct ChildState {
  const ChildPlan& plan;
  int error_fd;  // moves during fd arrangement
};

[[noreturn]] void Exit(int code) {
  for (;;) RawSyscall(SYS_exit_group, code);
}

[[noreturn]] void Fail(const ChildState& state, const char* step, long result) {
  ChildFailure failure{};
  failure.err = static_cast<int>(-result);
  for (size_t i = 0; i + 1 < sizeof(failure.step) && step[i] != '\0'; ++i) failure.step[i] = step[i];
  RawSyscall(SYS_write, state.error_fd, reinterpret_cast<long>(&failure), sizeof(failure));
  Exit(kFailureExit);
}

long Check(const ChildState& state, long result, const char* step) {
  if (RawFailed(result)) Fail(state, step, result);
  return result;
}

void Close(long fd) { RawSyscall(SYS_close, fd); }

// Blocks until the parent has written our id maps or gave up (EOF). The byte says whether
// setgroups is still allowed in the namespace, which only the parent knows.
char WaitForParent(const ChildState& state) {
  char byte = 0;
  long n;
  do n = RawSyscall(SYS_read, state.plan.sync_read, reinterpret_cast<long>(&byte), 1);
  while (n == -EINTR);
  Check(state, n, "wait-for-maps");
  if (n == 0) Exit(kFailureExit);  // parent closed without releasing: it failed or died
  Close(state.plan.sync_read);
  return byte;
}

void WriteProcSelf(const ChildState& state, const char* file, const char* text, const char* step) {
  long fd = Check(state, RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(file), O_WRONLY | O_CLOEXEC), step);
  long len = 0;
  while (text[len] != '\0') ++len;
  long n = Check(state, RawSyscall(SYS_write, fd, reinterpret_cast<long>(text), len), step);
  if (n != len) Fail(state, step, -EIO);
  Close(fd);
}

// A self map, written by the child itself: no parent to wait for (see child_plan.h).
void WriteSelfMap(const ChildState& state) {
  WriteProcSelf(state, "/proc/self/setgroups", "deny", "write-setgroups");
  WriteProcSelf(state, "/proc/self/uid_map", state.plan.self_uid_map, "write-uid-map");
  WriteProcSelf(state, "/proc/self/gid_map", state.plan.self_gid_map, "write-gid-map");
}

// The parent-death signal is cleared by a credential change, so it is armed afterwards;
// the parent may have died before that, which the signal would never report.
void DieWithParent(const ChildState& state) {
  Check(state, RawSyscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL), "prctl-pdeathsig");
  if (state.plan.parent_pid != 0 && RawSyscall(SYS_getppid) != state.plan.parent_pid) Exit(kFailureExit);
  // In a new PID namespace getppid() reads 0, so look at the error pipe instead: its
  // read end lives only in the parent, and a pipe with no reader polls as POLLERR.
  struct pollfd probe = {state.error_fd, POLLOUT, 0};
  struct timespec now = {0, 0};
  if (RawSyscall(SYS_ppoll, reinterpret_cast<long>(&probe), 1, reinterpret_cast<long>(&now), 0, kSigsetBytes) > 0 && (probe.revents & POLLERR))
    Exit(kFailureExit);
}

// fds[i] -> i. Every source is first copied above all targets so that a source that is
// also a lower target is not overwritten; dup3 onto the target clears close-on-exec,
// which matters because Node marks even 0-2 close-on-exec. The error pipe is moved up
// too and stays close-on-exec: it must survive until execve, and no longer.
void ArrangeFds(ChildState& state) {
  const ChildPlan& plan = state.plan;
  int floor = plan.fd_count;
  for (int i = 0; i < plan.fd_count; ++i)
    if (plan.fds[i] >= floor) floor = plan.fds[i] + 1;
  if (state.error_fd >= floor) floor = state.error_fd + 1;

  state.error_fd = static_cast<int>(Check(state, RawSyscall(SYS_fcntl, state.error_fd, F_DUPFD_CLOEXEC, floor), "dup-error-pipe"));
  int copies[kMaxChildFds];
  for (int i = 0; i < plan.fd_count; ++i)
    copies[i] = static_cast<int>(Check(state, RawSyscall(SYS_fcntl, plan.fds[i], F_DUPFD_CLOEXEC, floor), "dup-fd"));
  // Every copy is at or above floor > i, so dup3 never sees equal fds.
  for (int i = 0; i < plan.fd_count; ++i) Check(state, RawSyscall(SYS_dup3, copies[i], i, 0), "dup2");
}

void CloseRange(const ChildState& state, unsigned first, unsigned last) {
  if (first > last) return;
  long rc = RawSyscall(SYS_close_range, first, last, 0);
  if (rc == 0) return;
  if (rc != -ENOSYS) Fail(state, "close-range", rc);
  struct rlimit limit;
  Check(state, RawSyscall(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, reinterpret_cast<long>(&limit)), "getrlimit");
  for (rlim_t fd = first; fd <= last && fd < limit.rlim_cur; ++fd) Close(static_cast<long>(fd));
}

// Every fd the child was not given goes, except the error pipe (close-on-exec).
void CloseOthers(const ChildState& state) {
  CloseRange(state, state.plan.fd_count, state.error_fd - 1);
  CloseRange(state, state.error_fd + 1, ~0U);
}

// The kernel's struct sigaction (asm-generic layout, also x86_64's); all zero is SIG_DFL.
struct KernelSigaction {
  unsigned long handler;
  unsigned long flags;
  unsigned long restorer;
  unsigned long mask;
};

void SetSignalMask(const ChildState& state, unsigned long mask) {
  Check(state, RawSyscall(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&mask), 0, kSigsetBytes), "sigprocmask");
}

// Node ignores SIGPIPE and libuv installs handlers; ignored dispositions survive exec.
// The child has its own copy of the handler table (no CLONE_SIGHAND), and every signal
// stays blocked until here, so no handler of the parent ever runs on the child's stack.
void ResetSignals(const ChildState& state) {
  KernelSigaction dfl{};
  for (int sig = 1; sig <= 64; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    long rc = RawSyscall(SYS_rt_sigaction, sig, reinterpret_cast<long>(&dfl), 0, kSigsetBytes);
    if (rc != -EINVAL) Check(state, rc, "sigaction");
  }
  SetSignalMask(state, 0);
}

// pid 1 of a new PID namespace: Node reaps only the children it spawned, so orphans that
// the kernel hands to pid 1 would stay zombies. The clone child stays here as a tiny init
// (as tini and bubblewrap do): it holds no fd, forwards every signal to the program, reaps
// whatever exits, and leaves with the program's status (128 + signal when it was killed:
// init cannot die of a signal sent from inside its namespace). Its exit ends the namespace.
// All signals are blocked before the fork, so a SIGCHLD cannot come before the wait.
// Only in a child that does not share the parent's memory (spawn.cc): it never execs.
[[noreturn]] void RunInit(pid_t program) {
  // No fd may keep a pipe of the parent open: their EOFs are how it learns of the exec
  // and of the end of the program's output.
  if (RawSyscall(SYS_close_range, 0, ~0U, 0) < 0) {
    struct rlimit limit;
    if (RawFailed(RawSyscall(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, reinterpret_cast<long>(&limit)))) Exit(kFailureExit);
    for (rlim_t fd = 0; fd < limit.rlim_cur; ++fd) Close(static_cast<long>(fd));
  }
  unsigned long all = ~0UL;
  for (;;) {
    siginfo_t info;
    long sig = RawSyscall(SYS_rt_sigtimedwait, reinterpret_cast<long>(&all), reinterpret_cast<long>(&info), 0, kSigsetBytes);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      RawSyscall(SYS_kill, program, sig);
      continue;
    }
    int status;
    long reaped;
    while ((reaped = RawSyscall(SYS_wait4, -1, reinterpret_cast<long>(&status), WNOHANG, 0)) > 0)
      if (reaped == program) Exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  }
}

// Forks the program off the init; returns in the program, never in the init.
void ForkFromInit(const ChildState& state) {
  SetSignalMask(state, ~0UL);
  long program = Check(state, RawSyscall(SYS_clone, SIGCHLD, 0, 0, 0, 0), "fork-init");
  if (program != 0) RunInit(static_cast<pid_t>(program));
  // The parent-death signal is not inherited: the program dies with its init.
  Check(state, RawSyscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL), "prctl-pdeathsig");
  if (RawSyscall(SYS_getppid) != 1) Exit(kFailureExit);
  SetSignalMask(state, 0);
}

long Length(const char* text) {
  long len = 0;
  while (text[len] != '\0') ++len;
  return len;
}

}  // namespace

void RunChild(const ChildPlan& plan) {
  ChildState state{plan, plan.error_write};
  Close(plan.sync_write);
  Close(plan.error_read);
  bool drop_groups = plan.drop_groups;
  if (plan.wait_for_parent) drop_groups = WaitForParent(state) == kReleaseDropGroups;
  if (plan.self_uid_map != nullptr) WriteSelfMap(state);

  // What needs privilege in the new namespaces comes first: the creator of a user
  // namespace holds every capability in it, and a non-zero target uid would drop them.
  if (plan.hostname != nullptr)
    Check(state, RawSyscall(SYS_sethostname, reinterpret_cast<long>(plan.hostname), Length(plan.hostname)), "sethostname");
  if (plan.private_mounts)
    Check(state, RawSyscall(SYS_mount, 0, reinterpret_cast<long>("/"), 0, MS_REC | MS_SLAVE, 0), "mount-rslave");
  if (plan.set_ids) {
    // Raw: glibc's wrappers would broadcast the change to every thread of the parent.
    if (drop_groups) Check(state, RawSyscall(SYS_setgroups, 0, 0), "setgroups");
    Check(state, RawSyscall(SYS_setresgid, plan.gid, plan.gid, plan.gid), "setresgid");
    Check(state, RawSyscall(SYS_setresuid, plan.uid, plan.uid, plan.uid), "setresuid");
  }
  DieWithParent(state);
  if (plan.no_new_privs) Check(state, RawSyscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl-no-new-privs");
  if (plan.landlock_scope) Check(state, LandlockScopeSelf(plan.no_new_privs), "landlock-scope");
  if (plan.cwd != nullptr) {  // as the target user, like runc
    long rc = RawSyscall(SYS_chdir, reinterpret_cast<long>(plan.cwd));
    if (rc == -EACCES && plan.cwd_or_root) rc = RawSyscall(SYS_chdir, reinterpret_cast<long>("/"));
    Check(state, rc, "chdir");
  }

  ArrangeFds(state);
  CloseOthers(state);
  ResetSignals(state);
  // Last, so that nothing above runs against them (a PID namespace's init and the program
  // it forks both get them); lowering a limit needs no privilege.
  for (int i = 0; i < plan.rlimit_count; ++i) {
    struct rlimit limit = {plan.rlimits[i].soft, plan.rlimits[i].hard};
    Check(state, RawSyscall(SYS_prlimit64, 0, plan.rlimits[i].resource, reinterpret_cast<long>(&limit), 0), "setrlimit");
  }
  if (plan.pid_init) ForkFromInit(state);
  Fail(state, "execve", RawSyscall(SYS_execve, reinterpret_cast<long>(plan.file), reinterpret_cast<long>(plan.argv), reinterpret_cast<long>(plan.envp)));
}

}  // namespace reexecer
