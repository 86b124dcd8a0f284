#pragma once

#include <napi.h>

namespace reexecer {

// The kernel's Landlock ABI version, 0 without Landlock.
int LandlockAbi();
// Between clone and exec (raw_syscall.h: errno untouched, -errno returned): scopes the
// calling thread, and all it starts, so that it cannot signal or reach abstract unix
// sockets of processes outside. ABI >= 6.
// Sets no_new_privs if the kernel wants it and `may_set_nnp`; else leaves scoping out.
long LandlockScopeSelf(bool may_set_nnp);

// landlockAbi(); landlockPrepare(root, readPaths, writePaths) before the chroot;
// landlockEnforce() after it, on every thread of the process.
Napi::Value LandlockAbiJs(const Napi::CallbackInfo& info);
Napi::Value LandlockPrepare(const Napi::CallbackInfo& info);
Napi::Value LandlockEnforce(const Napi::CallbackInfo& info);

}  // namespace reexecer
