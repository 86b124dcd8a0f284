#pragma once

#include <napi.h>

namespace reexecer {

// Operations the child runtime performs on itself after it has loaded its code. They act
// on the whole process: Node's threads share the fs_struct (root and cwd) and namespaces.
Napi::Value Chroot(const Napi::CallbackInfo& info);
Napi::Value PivotRoot(const Napi::CallbackInfo& info);
Napi::Value SetHostname(const Napi::CallbackInfo& info);
Napi::Value MountProc(const Napi::CallbackInfo& info);
Napi::Value CapEff(const Napi::CallbackInfo& info);
Napi::Value Pipe(const Napi::CallbackInfo& info);
Napi::Value SocketPair(const Napi::CallbackInfo& info);
Napi::Value Close(const Napi::CallbackInfo& info);

// Throws (code EOUTSIDESANDBOX) unless this process is a child spawn() started.
void RefuseOutsideSandbox(Napi::Env env, const char* op);

}  // namespace reexecer
