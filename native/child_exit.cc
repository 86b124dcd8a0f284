#include "child_exit.h"

#include <sys/syscall.h>
#include <unistd.h>

namespace reexecer {

// exitNow(code): closes the fds the host waits on first (stdio, the control socket and the
// log: 0 to 4, in a cold and a warm child alike), so the host reads their EOF before the
// kernel tears down this process's memory (the slow part of the exit of a large process),
// then _exit()s without Node's teardown. Only those: libuv's own fds (epoll, eventfds) are
// numbered above them, and closing those under a worker thread still winding down aborts
// the process. Only for a child whose report and output are already flushed.
Napi::Value ExitNow(const Napi::CallbackInfo& info) {
  int code = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 0;
  for (int fd = 0; fd <= 4; ++fd) close(fd);
  _exit(code);
}

}  // namespace reexecer
