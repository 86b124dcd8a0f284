// The default seccomp filter, a classic BPF program built here by hand. Why not libseccomp:
// it would be a runtime dependency (a shared library every user's machine must have, or a
// vendored copy to build), and the program is small and fixed: one arch check, one table
// of refused syscalls, two argument checks. The syscall numbers are the kernel UAPI
// headers' of the arch the addon is compiled for (x86-64 or arm64), so the table and the
// arch check always agree; a call made through another ABI (i386 or x32 on x86-64, AArch32
// on arm64) kills the process, since its numbers mean other syscalls.
#include "seccomp.h"

// The kernel's own numbers: a libc's <sys/syscall.h> (musl's) may lag behind them.
#include <asm/unistd.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <vector>

#include "errors.h"
#include "in_child.h"

namespace reexecer {
namespace {

#if defined(__x86_64__)
constexpr uint32_t kArch = AUDIT_ARCH_X86_64;
constexpr uint32_t kX32Bit = 0x40000000;  // __X32_SYSCALL_BIT
#elif defined(__aarch64__)
constexpr uint32_t kArch = AUDIT_ARCH_AARCH64;
#else
#error "the seccomp filter knows x86-64 and arm64"
#endif

struct Refused {
  const char* name;
  int nr;
};

#define REFUSE(name) {#name, __NR_##name}
// What a sandboxed function has no business calling: debugging or reading other processes,
// the kernel keyring, eBPF and perf, kernel modules and kexec, (re)mounting and leaving or
// entering namespaces, the machine's state (reboot, swap, accounting, quotas, clock, log),
// file handles (which resolve outside a chroot), new io_uring rings (their operations
// bypass seccomp; io_uring_enter and io_uring_register stay allowed because the libuv of
// Node 22 on batches epoll_ctl through a ring of its own that exists before the filter,
// and its loop aborts without it), userfaultfd (a tool for kernel exploits). Entries missing
// on an arch are left out.
const Refused kRefused[] = {
    REFUSE(ptrace), REFUSE(process_vm_readv), REFUSE(process_vm_writev), REFUSE(kcmp), REFUSE(pidfd_getfd),
    REFUSE(keyctl), REFUSE(add_key), REFUSE(request_key),
    REFUSE(bpf), REFUSE(perf_event_open), REFUSE(userfaultfd),
    REFUSE(kexec_load), REFUSE(kexec_file_load), REFUSE(init_module), REFUSE(finit_module), REFUSE(delete_module),
    REFUSE(mount), REFUSE(umount2), REFUSE(pivot_root), REFUSE(chroot), REFUSE(setns), REFUSE(unshare),
    REFUSE(fsopen), REFUSE(fsconfig), REFUSE(fsmount), REFUSE(fspick), REFUSE(move_mount), REFUSE(open_tree),
    REFUSE(mount_setattr),
    REFUSE(reboot), REFUSE(swapon), REFUSE(swapoff), REFUSE(acct), REFUSE(quotactl), REFUSE(quotactl_fd),
    REFUSE(syslog), REFUSE(settimeofday), REFUSE(clock_settime), REFUSE(clock_adjtime),
    REFUSE(open_by_handle_at), REFUSE(name_to_handle_at),
    REFUSE(io_uring_setup),
#ifdef __NR_lookup_dcookie
    REFUSE(lookup_dcookie),
#endif
#ifdef __NR_umount
    REFUSE(umount),
#endif
#ifdef __NR_uselib
    REFUSE(uselib),
#endif
#ifdef __NR__sysctl
    REFUSE(_sysctl),
#endif
#ifdef __NR_ustat
    REFUSE(ustat),
#endif
#ifdef __NR_sysfs
    REFUSE(sysfs),
#endif
#ifdef __NR_iopl
    REFUSE(iopl),
#endif
#ifdef __NR_ioperm
    REFUSE(ioperm),
#endif
#ifdef __NR_create_module
    REFUSE(create_module),
#endif
#ifdef __NR_nfsservctl
    REFUSE(nfsservctl),
#endif
};
#undef REFUSE

// clone's flags (its first argument on both arches; the kernel reads the low 32 bits) may
// not ask for a namespace. CLONE_NEWTIME is not among them: through clone() that bit is
// part of the exit signal.
constexpr uint32_t kNamespaceFlags =
    CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET;

// personality() values glibc, Node and 32-bit emulation use; READ_IMPLIES_EXEC,
// ADDR_NO_RANDOMIZE, MMAP_PAGE_ZERO and the rest weaken the process's own defenses.
constexpr uint32_t kPersonalities[] = {0x0 /* PER_LINUX */, 0x8 /* PER_LINUX32 */, 0x20000 /* UNAME26 */,
                                       0x20008, 0xffffffff /* query */};

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
constexpr uint32_t kArg0Low = offsetof(seccomp_data, args[0]);
#else
constexpr uint32_t kArg0Low = offsetof(seccomp_data, args[0]) + 4;
#endif

// A program with symbolic jump targets: jumps in classic BPF go forward only, by 8-bit
// offsets, resolved once every label's position is known (so every label follows its uses).
enum Label { kNext = -1, kAllow, kEperm, kEnosys, kKill, kClone, kPersonality, kLabels };

struct Insn {
  uint16_t code;
  uint32_t k;
  int jt, jf;  // labels, or kNext
};

class Program {
 public:
  void Load(uint32_t offset) { insns_.push_back({BPF_LD | BPF_W | BPF_ABS, offset, kNext, kNext}); }
  void JumpIf(uint16_t op, uint32_t k, int jt, int jf = kNext) { insns_.push_back({static_cast<uint16_t>(BPF_JMP | op | BPF_K), k, jt, jf}); }
  void Return(uint32_t value) { insns_.push_back({BPF_RET | BPF_K, value, kNext, kNext}); }
  void Mark(Label label) { labels_[label] = static_cast<int>(insns_.size()); }

  // Empty when a jump does not fit in 8 bits (the table grew past ~250 entries).
  std::vector<sock_filter> Resolve() const {
    std::vector<sock_filter> out;
    for (size_t i = 0; i < insns_.size(); ++i) {
      const Insn& insn = insns_[i];
      int jt = Offset(i, insn.jt), jf = Offset(i, insn.jf);
      if (jt < 0 || jf < 0) return {};
      out.push_back({insn.code, static_cast<uint8_t>(jt), static_cast<uint8_t>(jf), insn.k});
    }
    return out;
  }

 private:
  int Offset(size_t from, int label) const {
    if (label == kNext) return 0;
    int distance = labels_[label] - static_cast<int>(from) - 1;
    return distance >= 0 && distance <= 255 ? distance : -1;
  }
  std::vector<Insn> insns_;
  int labels_[kLabels] = {};
};

std::vector<sock_filter> BuildFilter() {
  Program p;
  p.Load(offsetof(seccomp_data, arch));
  p.JumpIf(BPF_JEQ, kArch, kNext, kKill);
  p.Load(offsetof(seccomp_data, nr));
#if defined(__x86_64__)
  p.JumpIf(BPF_JGE, kX32Bit, kKill);
#endif
  for (const Refused& r : kRefused) p.JumpIf(BPF_JEQ, static_cast<uint32_t>(r.nr), kEperm);
  // clone3's flags are in memory the filter cannot read: ENOSYS makes glibc (pthread_create,
  // posix_spawn) fall back to clone, whose flags it can.
  p.JumpIf(BPF_JEQ, __NR_clone3, kEnosys);
  p.JumpIf(BPF_JEQ, __NR_clone, kClone);
  p.JumpIf(BPF_JEQ, __NR_personality, kPersonality);
  p.Return(SECCOMP_RET_ALLOW);
  p.Mark(kClone);
  p.Load(kArg0Low);
  p.JumpIf(BPF_JSET, kNamespaceFlags, kEperm, kAllow);
  p.Mark(kPersonality);
  p.Load(kArg0Low);
  for (uint32_t value : kPersonalities) p.JumpIf(BPF_JEQ, value, kAllow);
  p.Mark(kEperm);
  p.Return(SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA));
  p.Mark(kEnosys);
  p.Return(SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA));
  p.Mark(kKill);
  p.Return(SECCOMP_RET_KILL_PROCESS);
  p.Mark(kAllow);
  p.Return(SECCOMP_RET_ALLOW);
  return p.Resolve();
}

}  // namespace

// TSYNC: Node is multithreaded by now, and a filter binds only the calling thread
// otherwise. Without no_new_privs the kernel wants CAP_SYS_ADMIN in the child's user
// namespace (namespace root has it); when it is missing, no_new_privs is set (TSYNC then
// sets it on every thread) because the filter cannot be had without it.
Napi::Value InstallSeccomp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RefuseOutsideSandbox(env, "installSeccomp");  // the host would filter itself
  std::vector<sock_filter> filter = BuildFilter();
  if (filter.empty()) throw SyscallError(env, "seccomp-build", E2BIG);
  sock_fprog program{static_cast<unsigned short>(filter.size()), filter.data()};
  long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &program);
  if (rc < 0 && errno == EACCES) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) throw SyscallError(env, "prctl-no-new-privs", errno);
    rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &program);
  }
  if (rc < 0) throw SyscallError(env, "seccomp", errno);
  if (rc > 0) throw SyscallError(env, "seccomp-tsync", ESRCH);  // thread rc could not be synchronized
  return env.Undefined();
}

Napi::Value SeccompRefused(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array names = Napi::Array::New(env);
  uint32_t i = 0;
  for (const Refused& r : kRefused) names.Set(i++, Napi::String::New(env, r.name));
  return names;
}

}  // namespace reexecer
