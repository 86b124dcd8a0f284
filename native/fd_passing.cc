#include "fd_passing.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "errors.h"

namespace reexecer {
namespace {

// Without data one marker byte travels, so a message without fds is still a message (a
// zero-length stream read would look like EOF).
constexpr char kMarker = 'F';
// What recvFds reads with the fds at most: a job frame is a few hundred bytes; a larger
// one is read on from the socket by the caller.
constexpr size_t kMaxReceived = 64 * 1024;

int FdArgument(const Napi::CallbackInfo& info, const char* usage) {
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), usage);
  int fd = info[0].As<Napi::Number>().Int32Value();
  if (fd < 0) throw Napi::TypeError::New(info.Env(), usage);
  return fd;
}

}  // namespace

// sendFds(socketFd, fds, data?): `data` (or one marker byte) with `fds` attached, in one
// sendmsg: the child wakes once with its files and its job. Returns how many bytes of
// `data` went (the fds travel with the first); the caller writes the rest. The host's end
// is non-blocking (libuv owns it); EAGAIN before anything went is waited out with poll.
Napi::Value SendFds(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "sendFds(socketFd, fds, data?)";
  int sock = FdArgument(info, usage);
  if (info.Length() < 2 || !info[1].IsArray()) throw Napi::TypeError::New(env, usage);
  bool hasData = info.Length() > 2 && !info[2].IsUndefined();
  if (hasData && !info[2].IsBuffer()) throw Napi::TypeError::New(env, usage);
  Napi::Array list = info[1].As<Napi::Array>();
  uint32_t count = list.Length();
  if (count > static_cast<uint32_t>(kMaxPassedFds)) throw Napi::RangeError::New(env, "sendFds: more fds than one message carries (253)");
  std::vector<int> fds(count);
  for (uint32_t i = 0; i < count; ++i) {
    Napi::Value v = list.Get(i);
    if (!v.IsNumber() || v.As<Napi::Number>().Int32Value() < 0) throw Napi::TypeError::New(env, "sendFds: fds must be non-negative integers");
    fds[i] = v.As<Napi::Number>().Int32Value();
  }
  char byte = kMarker;
  struct iovec iov = {&byte, 1};
  if (hasData) {
    Napi::Buffer<char> data = info[2].As<Napi::Buffer<char>>();
    if (data.Length() == 0) throw Napi::RangeError::New(env, "sendFds: data may not be empty");
    iov = {data.Data(), data.Length()};
  }
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  std::vector<char> control(CMSG_SPACE(sizeof(int) * (count ? count : 1)));
  if (count > 0) {
    msg.msg_control = control.data();
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * count);
    struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * count);
    memcpy(CMSG_DATA(cmsg), fds.data(), sizeof(int) * count);
  }
  ssize_t n;
  for (;;) {
    n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    if (n > 0) break;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      struct pollfd wait = {sock, POLLOUT, 0};
      if (poll(&wait, 1, 1000) > 0) continue;
      throw SyscallError(env, "sendmsg", EAGAIN);
    }
    throw SyscallError(env, "sendmsg", n < 0 ? errno : EIO);
  }
  return Napi::Number::New(env, static_cast<double>(n));
}

// recvFds(socketFd): blocks for sendFds' message and returns { fds, data }: the fds that
// came with it, close-on-exec (as the host opened them), and the bytes read with them (up
// to kMaxReceived; the rest of a larger message stays in the socket); null at EOF (the
// host went away).
Napi::Value RecvFds(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sock = FdArgument(info, "recvFds(socketFd)");
  std::vector<char> bytes(kMaxReceived);
  struct iovec iov = {bytes.data(), bytes.size()};
  std::vector<char> control(CMSG_SPACE(sizeof(int) * kMaxPassedFds));
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  ssize_t n;
  do n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0) throw SyscallError(env, "recvmsg", errno);
  if (n == 0) return env.Null();
  std::vector<int> fds;
  for (struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg); cmsg != nullptr; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
    if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) continue;
    size_t k = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    const unsigned char* data = CMSG_DATA(cmsg);
    for (size_t i = 0; i < k; ++i) {
      int fd;
      memcpy(&fd, data + i * sizeof(int), sizeof(int));
      fds.push_back(fd);
    }
  }
  // A truncated control block means fds were dropped: the job would run without files.
  if (msg.msg_flags & MSG_CTRUNC) {
    for (int fd : fds) close(fd);
    throw SyscallError(env, "recvmsg", EPROTO);
  }
  Napi::Array list = Napi::Array::New(env, fds.size());
  for (size_t i = 0; i < fds.size(); ++i) list.Set(static_cast<uint32_t>(i), Napi::Number::New(env, fds[i]));
  Napi::Object result = Napi::Object::New(env);
  result.Set("fds", list);
  result.Set("data", Napi::Buffer<char>::Copy(env, bytes.data(), static_cast<size_t>(n)));
  return result;
}

}  // namespace reexecer
