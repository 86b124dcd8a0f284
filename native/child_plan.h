// What the child does between clone and exec. Everything here is prepared by the parent
// before the clone: the child may only make raw syscalls (no malloc, no locks).
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

namespace reexecer {

// A child gets at most this many fds (stdio included); the parent refuses more.
constexpr int kMaxChildFds = 256;

// One setrlimit the child makes just before execve.
struct ChildRlimit {
  int resource;
  rlim_t soft;
  rlim_t hard;
};
constexpr int kMaxRlimits = 8;

struct ChildPlan {
  const char* file;
  char* const* argv;
  char* const* envp;
  const char* cwd;       // nullptr: inherit
  bool cwd_or_root;      // cwd is the host's own: "/" when the target user may not enter it
  const char* hostname;  // nullptr: leave alone (needs a UTS namespace)

  int sync_read;    // child blocks on it until the parent has written the id maps
  int sync_write;   // parent's end, closed in the child so a dead parent reads as EOF
  int error_read;   // parent's end, closed in the child
  int error_write;  // close-on-exec: EOF at the parent means exec succeeded

  const int* fds;   // fds[i] becomes fd i in the child
  int fd_count;

  bool wait_for_parent;
  bool set_ids;
  bool drop_groups;  // setgroups(0, NULL) when not waiting; else the release byte says
  uid_t uid;
  gid_t gid;
  bool no_new_privs;
  bool private_mounts;  // new mount namespace: stop mount events propagating to the host
  pid_t parent_pid;     // 0 when the child is in a new PID namespace (getppid() reads 0)
  bool landlock_scope;  // Landlock ABI >= 6: no signals, no abstract sockets outside
  ChildRlimit rlimits[kMaxRlimits];
  int rlimit_count;

  // The child writes its own self map ("0 <id> 1\n", setgroups denied first) instead of
  // waiting for the parent: what an unprivileged process may write for itself. nullptr: no.
  const char* self_uid_map;
  const char* self_gid_map;
  bool pid_init;        // new PID namespace: stay as its init (reaping orphans), exec in a child
};

// The byte the parent writes to release the child after writing its maps.
constexpr char kReleaseKeepGroups = 'k';
constexpr char kReleaseDropGroups = 'g';

// The record a failing child writes to error_write before it exits.
struct ChildFailure {
  char step[28];
  int err;
};

[[noreturn]] void RunChild(const ChildPlan& plan);

}  // namespace reexecer
