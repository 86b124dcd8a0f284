// System calls that never touch errno, for the child between clone and exec. That child
// shares the parent's memory (CLONE_VM) and runs while the parent's thread goes on, with
// the parent thread's TLS: libc's wrappers would write errno under that thread's feet.
// A result in [-4095, -1] is -errno.
#pragma once

#include <sys/syscall.h>

namespace reexecer {

#if defined(__x86_64__)
constexpr bool kHasRawSyscall = true;

inline long RawSyscall(long n, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0, long f = 0) {
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  long result;
  __asm__ volatile("syscall"
                   : "=a"(result)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return result;
}

#elif defined(__aarch64__)
constexpr bool kHasRawSyscall = true;

inline long RawSyscall(long n, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0, long f = 0) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  register long x4 __asm__("x4") = e;
  register long x5 __asm__("x5") = f;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory");
  return x0;
}

#else
// Elsewhere libc's syscall(), which sets errno: the spawn then never shares the parent's
// memory (spawn.cc forks with clone3), so the child's errno is its own.
}  // namespace reexecer
#include <errno.h>
#include <unistd.h>
namespace reexecer {
constexpr bool kHasRawSyscall = false;

inline long RawSyscall(long n, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0, long f = 0) {
  long result = syscall(n, a, b, c, d, e, f);
  return result < 0 ? -errno : result;
}
#endif

inline bool RawFailed(long result) { return result < 0 && result >= -4095; }

}  // namespace reexecer
