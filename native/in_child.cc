#include "in_child.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "errors.h"

namespace reexecer {
namespace {

std::string PathArgument(const Napi::CallbackInfo& info, const char* usage) {
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(info.Env(), usage);
  return info[0].As<Napi::String>().Utf8Value();
}

void Check(Napi::Env env, long result, const char* step) {
  if (result < 0) throw SyscallError(env, step, errno);
}

Napi::Value FdPair(Napi::Env env, const int fds[2]) {
  Napi::Array result = Napi::Array::New(env, 2);
  result.Set(0u, Napi::Number::New(env, fds[0]));
  result.Set(1u, Napi::Number::New(env, fds[1]));
  return result;
}

}  // namespace

// Every child of spawn() is armed to die with its parent (PR_SET_PDEATHSIG, SIGKILL) between
// clone and exec, and that survives the exec of a program without file capabilities; a
// fork clears it. So a process without it is the host (or something it forked), where
// these operations would change the host's root, mounts or hostname.
void RefuseOutsideSandbox(Napi::Env env, const char* op) {
  int deathsig = 0;
  if (prctl(PR_GET_PDEATHSIG, &deathsig, 0, 0, 0) == 0 && deathsig == SIGKILL) return;
  Napi::Error error = Napi::Error::New(
      env, std::string(op) + ": refused outside a sandboxed child: it acts on the calling process, and this one was not started by spawnSandboxed");
  error.Set("code", Napi::String::New(env, "EOUTSIDESANDBOX"));
  error.Set("step", Napi::String::New(env, op));
  throw error;
}

Napi::Value Chroot(const Napi::CallbackInfo& info) {
  RefuseOutsideSandbox(info.Env(), "chroot");
  std::string dir = PathArgument(info, "chroot(dir)");
  Check(info.Env(), chroot(dir.c_str()), "chroot");
  Check(info.Env(), chdir("/"), "chdir");
  return info.Env().Undefined();
}

// Needs a mount namespace. The new root must be a mount point, so it is bind-mounted
// onto itself; pivot_root(".", ".") stacks the old root on top, and the lazy unmount
// detaches it so nothing of the host stays reachable.
Napi::Value PivotRoot(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RefuseOutsideSandbox(env, "pivotRoot");
  std::string dir = PathArgument(info, "pivotRoot(dir)");
  Check(env, mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), "mount-rprivate");
  Check(env, mount(dir.c_str(), dir.c_str(), nullptr, MS_BIND | MS_REC, nullptr), "mount-bind");
  Check(env, chdir(dir.c_str()), "chdir");
  Check(env, syscall(SYS_pivot_root, ".", "."), "pivot_root");
  Check(env, umount2(".", MNT_DETACH), "umount-old-root");
  Check(env, chdir("/"), "chdir");
  return env.Undefined();
}

Napi::Value SetHostname(const Napi::CallbackInfo& info) {
  RefuseOutsideSandbox(info.Env(), "sethostname");
  std::string name = PathArgument(info, "sethostname(name)");
  Check(info.Env(), sethostname(name.c_str(), name.size()), "sethostname");
  return info.Env().Undefined();
}

Napi::Value MountProc(const Napi::CallbackInfo& info) {
  RefuseOutsideSandbox(info.Env(), "mountProc");
  std::string target = PathArgument(info, "mountProc(target)");
  Check(info.Env(), mount("proc", target.c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr), "mount-proc");
  return info.Env().Undefined();
}

// capget works without /proc, so it still answers after a chroot.
Napi::Value CapEff(const Napi::CallbackInfo& info) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
  Check(info.Env(), syscall(SYS_capget, &header, data), "capget");
  uint64_t eff = (static_cast<uint64_t>(data[1].effective) << 32) | data[0].effective;
  return Napi::BigInt::New(info.Env(), eff);
}

// Node has no call for an anonymous pipe or socketpair; both ends are close-on-exec so
// only the spawn's explicit fd list hands one to a child.
Napi::Value Pipe(const Napi::CallbackInfo& info) {
  int fds[2];
  Check(info.Env(), pipe2(fds, O_CLOEXEC), "pipe2");
  return FdPair(info.Env(), fds);
}

// For the fds above: fs.closeSync on an fd that fs did not open warns in a worker thread
// ("closed but not opened in unmanaged mode").
Napi::Value Close(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "close(fd)");
  Check(info.Env(), close(info[0].As<Napi::Number>().Int32Value()), "close");
  return info.Env().Undefined();
}

Napi::Value SocketPair(const Napi::CallbackInfo& info) {
  int fds[2];
  Check(info.Env(), socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), "socketpair");
  return FdPair(info.Env(), fds);
}

}  // namespace reexecer
