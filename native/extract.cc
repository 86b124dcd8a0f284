// A streaming tar extractor for image layers. JS feeds it the (decompressed) archive in
// chunks; each chunk is parsed and applied on a libuv threadpool thread, so Node pays one
// call per chunk, not several per entry, and decompression of the next chunk overlaps the
// writes of this one. Every path is resolved beneath the root dir with openat2
// (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), or, where the kernel lacks openat2, by a
// component walk with O_NOFOLLOW: a hostile name stays inside even without a chroot.
// Names are bytes, never decoded.
#include "extract.h"

#include "errors.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace reexecer {
namespace {

constexpr size_t kBlock = 512;
// PAX and GNU long-name records above this are refused: no real layer needs them, and
// they are held in memory.
constexpr size_t kMaxMeta = 1 << 20;
// Open directory fds kept: half the fd limit, at most this many.
constexpr size_t kMaxCachedDirs = 8192;
constexpr size_t kMaxWarnings = 1000;

struct Xattr {
  std::string name;
  std::string value;
};

struct Entry {
  std::string path;
  std::string linkpath;
  char type = '0';
  mode_t mode = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  uint64_t size = 0;
  struct timespec mtime = {0, 0};
  dev_t dev = 0;
  std::vector<Xattr> xattrs;
};

struct Problem {
  std::string path;
  std::string op;
  int err;
};

struct DirAttrs {
  std::string path;
  mode_t mode;
  struct timespec mtime;
};

struct CachedDir {
  int fd;
  bool setgid;
};

// Failures that lenient mode never turns into warnings: the disk is full or lying, or
// the archive is larger than allowed.
bool AlwaysFatal(int err) { return err == ENOSPC || err == EDQUOT || err == EIO || err == EFBIG; }

bool ParseNumber(const char* field, size_t width, uint64_t* out) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(field);
  if (p[0] & 0x80) {  // GNU base-256
    if (p[0] != 0x80) return false;  // negative or absurdly large
    uint64_t v = 0;
    for (size_t i = 1; i < width; i++) {
      if (v >> 56) return false;
      v = (v << 8) | p[i];
    }
    *out = v;
    return true;
  }
  uint64_t v = 0;
  size_t i = 0;
  while (i < width && (p[i] == ' ' || p[i] == 0)) {
    if (p[i] == 0) {
      *out = 0;
      return true;
    }
    i++;
  }
  for (; i < width && p[i] >= '0' && p[i] <= '7'; i++) {
    if (v >> 60) return false;
    v = (v << 3) | (p[i] - '0');
  }
  for (; i < width; i++)
    if (p[i] != ' ' && p[i] != 0) return false;
  *out = v;
  return true;
}

std::string Field(const char* p, size_t width) { return std::string(p, strnlen(p, width)); }

bool ChecksumOk(const unsigned char* h) {
  uint64_t stored;
  if (!ParseNumber(reinterpret_cast<const char*>(h) + 148, 8, &stored)) return false;
  unsigned long usum = 0;
  long ssum = 0;
  for (size_t i = 0; i < kBlock; i++) {
    unsigned char c = (i >= 148 && i < 156) ? ' ' : h[i];
    usum += c;
    ssum += static_cast<signed char>(c);
  }
  return stored == usum || static_cast<long>(stored) == ssum;
}

bool ParseDecimal(const std::string& s, uint64_t* out) {
  if (s.empty()) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9' || v > (UINT64_MAX - 9) / 10) return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

bool ParseTime(const std::string& s, struct timespec* out) {
  size_t dot = s.find('.');
  uint64_t sec;
  if (!ParseDecimal(s.substr(0, dot), &sec)) return false;
  long nsec = 0;
  if (dot != std::string::npos) {
    std::string frac = s.substr(dot + 1, 9);
    while (frac.size() < 9) frac += '0';
    uint64_t n;
    if (!ParseDecimal(frac, &n)) return false;
    nsec = static_cast<long>(n);
  }
  out->tv_sec = static_cast<time_t>(sec);
  out->tv_nsec = nsec;
  return true;
}

long Openat2(int dirfd, const char* path, uint64_t flags, uint64_t resolve) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = flags;
  how.resolve = resolve;
  return syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

// Splits an archive name into its components. Leading '/', empty and '.' components go;
// a '..' component refuses the entry (returns false).
bool Components(const std::string& name, std::vector<std::string>* out) {
  out->clear();
  size_t i = 0;
  while (i <= name.size()) {
    size_t j = name.find('/', i);
    if (j == std::string::npos) j = name.size();
    if (j > i) {
      std::string part = name.substr(i, j - i);
      if (part == "..") return false;
      if (part != ".") out->push_back(std::move(part));
    }
    i = j + 1;
  }
  return true;
}

std::string Join(const std::vector<std::string>& parts, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; i++) {
    if (i) s += '/';
    s += parts[i];
  }
  return s;
}

class Extractor {
 public:
  Extractor(int rootfd, bool lenient, uint64_t maxBytes, bool whiteouts, bool owners, bool walkOnly)
      : root_(rootfd), lenient_(lenient), maxBytes_(maxBytes), whiteouts_(whiteouts), owners_(owners), walk_(walkOnly) {
    euid_ = geteuid();
    egid_ = getegid();
    umask_ = umask(0);
    umask(umask_);
    struct stat st;
    rootDir_ = CachedDir{-1, fstat(rootfd, &st) == 0 && (st.st_mode & S_ISGID)};
    struct rlimit lim;
    maxCached_ = getrlimit(RLIMIT_NOFILE, &lim) == 0 ? std::min<size_t>(kMaxCachedDirs, lim.rlim_cur / 2) : 64;
    if (maxCached_ < 16) maxCached_ = 16;
  }

  ~Extractor() {
    CloseFile();
    ClearCache();
    if (root_ >= 0) close(root_);
  }

  // Parses and applies `len` bytes. False once the extraction has failed (see failure_).
  bool Feed(const unsigned char* data, size_t len) {
    if (failed_) return false;
    streamBytes_ += len;
    if (streamBytes_ > maxBytes_) return Fail(Problem{cur_.path, "maxBytes", EFBIG}, true);
    while (len > 0 && !failed_ && state_ != State::kEnd) {
      size_t used = Step(data, len);
      data += used;
      len -= used;
    }
    return !failed_;
  }

  // The archive ended: it must end between entries. Then directory modes and mtimes.
  bool Finish() {
    if (failed_) return false;
    // An archive may end without the padding of its last entry and without the two zero
    // blocks (umoci 0.4 writes such layers; their data is complete), not inside an entry.
    if (state_ == State::kData || state_ == State::kMeta || (state_ == State::kSkip && !inPadding_))
      return Fail(Problem{cur_.path, "read", EPIPE}, true);
    if (headerFill_ != 0) return Fail(Problem{"", "read", EPIPE}, true);
    ClearCache();
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
      long fd = Resolve(it->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) continue;  // replaced by a later entry or whited out
      struct timespec ts[2] = {it->mtime, it->mtime};
      const char* op = fchmod(fd, it->mode) != 0 ? "fchmod" : futimens(fd, ts) != 0 ? "futimens" : nullptr;
      int err = errno;
      close(fd);
      if (op && !Warn(Problem{it->path, op, err})) return false;
    }
    return true;
  }

  bool ReadFailed(int err) { return Fail(Problem{cur_.path, "read-layer", err}, true); }

  const Problem& failure() const { return failure_; }
  const std::vector<Problem>& warnings() const { return warnings_; }
  uint64_t warningCount() const { return warningCount_; }
  uint64_t entries() const { return entries_; }
  uint64_t bytesWritten() const { return bytesWritten_; }
  uint64_t streamBytes() const { return streamBytes_; }
  uint64_t whiteouts() const { return whiteoutCount_; }

 private:
  enum class State { kHeader, kMeta, kData, kSkip, kEnd };

  // ---------------------------------------------------------------- parsing

  size_t Step(const unsigned char* data, size_t len) {
    switch (state_) {
      case State::kHeader: {
        size_t n = std::min(len, kBlock - headerFill_);
        memcpy(header_ + headerFill_, data, n);
        headerFill_ += n;
        if (headerFill_ == kBlock) {
          headerFill_ = 0;
          OnHeader();
        }
        return n;
      }
      case State::kMeta: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(len, remaining_));
        meta_.append(reinterpret_cast<const char*>(data), n);
        remaining_ -= n;
        if (remaining_ == 0) OnMeta();
        return n;
      }
      case State::kData: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(len, remaining_));
        if (fd_ >= 0) WriteData(data, n);
        remaining_ -= n;
        if (remaining_ == 0 && !failed_) {
          if (fd_ >= 0) CloseFileAttrs();
          Skip(padding_, true);
        }
        return n;
      }
      case State::kSkip: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(len, remaining_));
        remaining_ -= n;
        if (remaining_ == 0) state_ = State::kHeader;
        return n;
      }
      case State::kEnd:
        return len;
    }
    return len;
  }

  void Skip(uint64_t n, bool padding = false) {
    remaining_ = n;
    inPadding_ = padding;
    state_ = n ? State::kSkip : State::kHeader;
  }

  static uint64_t Pad(uint64_t size) { return (kBlock - size % kBlock) % kBlock; }

  void OnHeader() {
    bool zero = true;
    for (size_t i = 0; i < kBlock && zero; i++) zero = header_[i] == 0;
    if (zero) {
      if (++zeroBlocks_ == 2) state_ = State::kEnd;
      return;
    }
    zeroBlocks_ = 0;
    const char* h = reinterpret_cast<const char*>(header_);
    if (!ChecksumOk(header_)) {
      Fail(Problem{Field(h, 100), "header", EILSEQ}, true);
      return;
    }
    char type = h[156];
    uint64_t size;
    if (!ParseNumber(h + 124, 12, &size)) {
      Fail(Problem{Field(h, 100), "header", EILSEQ}, true);
      return;
    }
    if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
      if (size > kMaxMeta) {
        Fail(Problem{Field(h, 100), "header", E2BIG}, true);
        return;
      }
      metaType_ = type;
      meta_.clear();
      remaining_ = size;
      padding_ = Pad(size);
      state_ = State::kMeta;
      if (size == 0) OnMeta();
      return;
    }
    Entry e;
    bool ustar = memcmp(h + 257, "ustar\0", 6) == 0;
    std::string name = Field(h, 100);
    if (ustar && h[345]) name = Field(h + 345, 155) + "/" + name;
    e.path = hasLongName_ ? std::move(longName_) : (pax_.hasPath ? pax_.path : name);
    e.linkpath = hasLongLink_ ? std::move(longLink_) : (pax_.hasLinkpath ? pax_.linkpath : Field(h + 157, 100));
    uint64_t mode = 0, uid = 0, gid = 0, mtime = 0, major = 0, minor = 0;
    bool ok = ParseNumber(h + 100, 8, &mode) && ParseNumber(h + 108, 8, &uid) && ParseNumber(h + 116, 8, &gid) &&
              ParseNumber(h + 136, 12, &mtime);
    if (type == '3' || type == '4') ok = ok && ParseNumber(h + 329, 8, &major) && ParseNumber(h + 337, 8, &minor);
    if (!ok) {
      Fail(Problem{e.path, "header", EILSEQ}, true);
      return;
    }
    e.type = type == 0 ? '0' : type;
    e.mode = static_cast<mode_t>(mode & 07777);
    e.uid = static_cast<uid_t>(Pick(pax_.uid, global_.uid, uid));
    e.gid = static_cast<gid_t>(Pick(pax_.gid, global_.gid, gid));
    e.size = pax_.size >= 0 ? static_cast<uint64_t>(pax_.size) : size;
    e.mtime = pax_.hasMtime ? pax_.mtime : global_.hasMtime ? global_.mtime : timespec{static_cast<time_t>(mtime), 0};
    e.dev = makedev(static_cast<unsigned>(major), static_cast<unsigned>(minor));
    e.xattrs = std::move(pax_.xattrs);
    if (((e.type == '0' || e.type == '7') && !e.path.empty() && e.path.back() == '/') || e.type == 'D') e.type = '5';
    pax_ = Pax();
    hasLongName_ = hasLongLink_ = false;
    cur_ = std::move(e);
    entries_++;
    Apply();
  }

  struct Pax {
    bool hasPath = false, hasLinkpath = false, hasMtime = false;
    std::string path, linkpath;
    int64_t size = -1, uid = -1, gid = -1;
    struct timespec mtime = {0, 0};
    std::vector<Xattr> xattrs;
  };

  static uint64_t Pick(int64_t local, int64_t global, uint64_t header) {
    return local >= 0 ? static_cast<uint64_t>(local) : global >= 0 ? static_cast<uint64_t>(global) : header;
  }

  void OnMeta() {
    Skip(padding_);
    if (metaType_ == 'L' || metaType_ == 'K') {
      std::string value(meta_.c_str());  // NUL-terminated in GNU archives
      if (metaType_ == 'L') longName_ = std::move(value), hasLongName_ = true;
      else longLink_ = std::move(value), hasLongLink_ = true;
      return;
    }
    Pax& pax = metaType_ == 'g' ? global_ : pax_;
    size_t i = 0;
    while (i < meta_.size()) {
      size_t space = meta_.find(' ', i);
      uint64_t len;
      if (space == std::string::npos || !ParseDecimal(meta_.substr(i, space - i), &len) || len < space - i + 3 ||
          i + len > meta_.size() || meta_[i + len - 1] != '\n') {
        Fail(Problem{"", "pax", EILSEQ}, true);
        return;
      }
      std::string record = meta_.substr(space + 1, i + len - space - 2);
      i += len;
      size_t eq = record.find('=');
      if (eq == std::string::npos) continue;
      std::string key = record.substr(0, eq), value = record.substr(eq + 1);
      uint64_t n;
      if (key == "path") pax.path = value, pax.hasPath = true;
      else if (key == "linkpath") pax.linkpath = value, pax.hasLinkpath = true;
      else if (key == "size" && ParseDecimal(value, &n)) pax.size = static_cast<int64_t>(n);
      else if (key == "uid" && ParseDecimal(value, &n)) pax.uid = static_cast<int64_t>(n);
      else if (key == "gid" && ParseDecimal(value, &n)) pax.gid = static_cast<int64_t>(n);
      else if (key == "mtime") pax.hasMtime = ParseTime(value, &pax.mtime);
      else if (key.rfind("SCHILY.xattr.", 0) == 0) pax.xattrs.push_back(Xattr{key.substr(13), value});
    }
  }

  // ---------------------------------------------------------------- problems

  bool Fail(const Problem& p, bool fatal) {
    if (!fatal && lenient_ && !AlwaysFatal(p.err)) {
      warningCount_++;
      if (warnings_.size() < kMaxWarnings) warnings_.push_back(p);
      return true;
    }
    failure_ = p;
    failed_ = true;
    CloseFile();
    return false;
  }

  // Something could not be applied: a warning when lenient (true: go on), else the end.
  bool Warn(const Problem& p) { return Fail(p, false); }

  // An entry could not be applied: when going on, its data is skipped.
  bool EntryProblem(const char* op, int err) {
    bool go_on = Warn(Problem{cur_.path, op, err});
    if (go_on && (state_ == State::kHeader)) Skip(cur_.size + Pad(cur_.size));
    return go_on;
  }

  // ---------------------------------------------------------------- resolution

  void ClearCache() {
    for (auto& kv : cache_) close(kv.second.fd);
    cache_.clear();
  }

  // Opens `path` (components joined with '/', no '..') beneath the root. The last
  // component is followed only when `flags` lacks O_NOFOLLOW.
  long Resolve(const std::string& path, int flags) {
    if (path.empty()) return fcntl(root_, F_DUPFD_CLOEXEC, 0);
    if (!walk_) {
      long fd = Openat2(root_, path.c_str(), flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
      if (fd >= 0 || errno != ENOSYS) return fd;
      walk_ = true;
    }
    // Before openat2: one component at a time, never following a symlink.
    int dir = root_;
    size_t i = 0;
    for (;;) {
      size_t j = path.find('/', i);
      bool last = j == std::string::npos;
      std::string part = path.substr(i, last ? std::string::npos : j - i);
      long fd = openat(dir, part.c_str(), last ? (flags | O_NOFOLLOW) : (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      int err = errno;
      if (dir != root_) close(dir);
      if (fd < 0) {
        errno = err;
        return -1;
      }
      if (last) return fd;
      dir = static_cast<int>(fd);
      i = j + 1;
    }
  }

  // The parent directory of parts[0..n-1], created (0755) where missing.
  const CachedDir* Parent(const std::vector<std::string>& parts, size_t n, int* err, bool create = true) {
    if (n == 0) return &rootDir_;
    std::string key = Join(parts, n);
    auto it = cache_.find(key);
    if (it != cache_.end()) return &it->second;
    long fd = Resolve(key, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create) {
      // Make the missing ancestors, shallowest first.
      for (size_t i = 1; i <= n; i++) {
        std::string prefix = Join(parts, i);
        if (cache_.count(prefix)) continue;
        const CachedDir* above = Parent(parts, i - 1, err);
        if (!above) return nullptr;
        if (mkdirat(above->fd < 0 ? root_ : above->fd, parts[i - 1].c_str(), 0755) == 0) {
          if (whiteouts_) layerPaths_.insert(prefix);
        } else if (errno != EEXIST) {
          *err = errno;
          return nullptr;
        }
        if (i < n) {
          long pfd = Resolve(prefix, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
          if (pfd < 0) {
            *err = errno;
            return nullptr;
          }
          Cache(prefix, static_cast<int>(pfd));
        }
      }
      fd = Resolve(key, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    if (fd < 0) {
      *err = errno;
      return nullptr;
    }
    return Cache(key, static_cast<int>(fd));
  }

  // Never closes a cached fd: callers hold pointers into the cache for the entry at hand.
  // A full cache is emptied before the next entry.
  const CachedDir* Cache(const std::string& key, int fd) {
    if (cache_.size() >= maxCached_) cacheStale_ = true;
    struct stat st;
    bool setgid = fstat(fd, &st) == 0 && (st.st_mode & S_ISGID);
    auto res = cache_.emplace(key, CachedDir{fd, setgid});
    if (!res.second) {
      close(fd);
    }
    return &res.first->second;
  }

  // ---------------------------------------------------------------- applying

  // Removes what is at dirfd/name, a whole tree for a directory.
  int RemoveAt(int dirfd, const char* name) {
    if (unlinkat(dirfd, name, 0) == 0) return 0;
    if (errno != EISDIR && errno != EPERM) return errno;
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return errno;
    int err = ForEachEntry(fd, [this](int dir, const dirent* de) { return RemoveAt(dir, de->d_name); });
    if (err) return err;
    return unlinkat(dirfd, name, AT_REMOVEDIR) == 0 ? 0 : errno;
  }

  // Calls fn(dirfd, entry) for each entry of the directory `fd` (which it takes over) but
  // "." and "..", until fn returns an errno; returns that, or 0.
  template <typename Fn>
  static int ForEachEntry(int fd, Fn fn) {
    DIR* d = fdopendir(fd);
    if (!d) {
      int err = errno;
      close(fd);
      return err;
    }
    int err = 0;
    while (struct dirent* de = readdir(d)) {
      if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
      if ((err = fn(::dirfd(d), de))) break;
    }
    closedir(d);
    return err;
  }

  // Makes room for a new entry at parent/base: removes what is there unless it is a
  // directory and `keepDir`. Returns 0, or an errno.
  int MakeRoom(int parent, const char* base, bool keepDir, bool* isDir) {
    struct stat st;
    if (fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW) != 0) return errno == ENOENT ? 0 : errno;
    *isDir = S_ISDIR(st.st_mode);
    if (*isDir && keepDir) return 0;
    // A replaced directory or symlink may be a cached parent (or lead to one).
    if (S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode)) cacheStale_ = true;
    return RemoveAt(parent, base);
  }

  bool NeedChown(const CachedDir* parent) const {
    return owners_ && (cur_.uid != euid_ || cur_.gid != egid_ || parent->setgid);
  }

  void Apply() {
    if (cacheStale_) {
      ClearCache();
      cacheStale_ = false;
    }
    std::vector<std::string>& parts = parts_;
    if (!Components(cur_.path, &parts)) {
      EntryProblem("refuse-dotdot", EXDEV);
      return;
    }
    Skip(0);
    if (parts.empty()) {  // '.', './' or '/': never the target itself
      Skip(cur_.size + Pad(cur_.size));
      return;
    }
    const std::string& base = parts.back();
    if (whiteouts_ && base.rfind(".wh.", 0) == 0) {
      Whiteout(parts);
      Skip(cur_.size + Pad(cur_.size));
      return;
    }
    int err = 0;
    const CachedDir* parent = Parent(parts, parts.size() - 1, &err);
    if (!parent) {
      EntryProblem("resolve-parent", err);
      return;
    }
    int pfd = parent->fd < 0 ? root_ : parent->fd;
    if (whiteouts_) layerPaths_.insert(Join(parts, parts.size()));
    switch (cur_.type) {
      case '0':
      case '7':
        ApplyFile(pfd, parent, base);
        return;
      case '5':
        ApplyDir(pfd, parent, parts);
        break;
      case '1':
        ApplyHardlink(pfd, base);
        break;
      case '2':
        ApplySymlink(pfd, parent, base);
        break;
      case '3':
      case '4':
      case '6':
        ApplyNode(pfd, parent, base);
        break;
      default:
        EntryProblem("unsupported-type", ENOTSUP);
        return;
    }
    if (!failed_ && state_ == State::kHeader) Skip(cur_.size + Pad(cur_.size));
  }

  void ApplyFile(int pfd, const CachedDir* parent, const std::string& base) {
    int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    mode_t mode = cur_.mode & 0777;
    int fd = openat(pfd, base.c_str(), flags, mode);
    if (fd < 0 && errno == EEXIST) {
      bool isDir = false;
      int err = MakeRoom(pfd, base.c_str(), false, &isDir);
      if (err) {
        EntryProblem("remove-existing", err);
        return;
      }
      fd = openat(pfd, base.c_str(), flags, mode);
    }
    if (fd < 0) {
      EntryProblem("open", errno);
      return;
    }
    fd_ = fd;
    bool chowned = NeedChown(parent);
    // Lenient: a file whose owner or xattr cannot be set is still written.
    if (chowned && fchown(fd, cur_.uid, cur_.gid) != 0 && !Soft("fchown", errno)) return;
    // open(2) applied the umask; set-id bits are set after the data (write(2) and
    // fchown(2) clear them).
    if ((cur_.mode & umask_) && fchmod(fd, cur_.mode) != 0) {
      FileProblem("fchmod", errno);
      return;
    }
    for (const Xattr& x : cur_.xattrs) {
      if (fsetxattr(fd, x.name.c_str(), x.value.data(), x.value.size(), 0) != 0 && !Soft("fsetxattr", errno)) return;
    }
    remaining_ = cur_.size;
    padding_ = Pad(cur_.size);
    if (remaining_ == 0) {
      CloseFileAttrs();
      Skip(padding_, true);
    } else {
      state_ = State::kData;
    }
  }

  // A problem with an entry's owner or xattrs: when lenient, a warning and the entry goes on.
  bool Soft(const char* op, int err) {
    if (Warn(Problem{cur_.path, op, err})) return true;
    CloseFile();
    return false;
  }

  // A file failed after it was opened: close it; its data is skipped when going on.
  void FileProblem(const char* op, int err) {
    CloseFile();
    if (Warn(Problem{cur_.path, op, err})) Skip(cur_.size + Pad(cur_.size));
  }

  void WriteData(const unsigned char* p, size_t n) {
    while (n > 0) {
      ssize_t w = write(fd_, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        // A short write followed by 0 or an error: the disk is full or failing.
        int err = w < 0 ? errno : ENOSPC;
        Fail(Problem{cur_.path, "write", err}, true);
        return;
      }
      p += w;
      n -= static_cast<size_t>(w);
      bytesWritten_ += static_cast<uint64_t>(w);
    }
  }

  void CloseFileAttrs() {
    struct timespec ts[2] = {cur_.mtime, cur_.mtime};
    int fd = fd_;
    fd_ = -1;
    const char* op = (cur_.mode & 06000) && fchmod(fd, cur_.mode) != 0 ? "fchmod" : futimens(fd, ts) != 0 ? "futimens" : nullptr;
    bool ok = op == nullptr;
    int err = errno;
    if (close(fd) != 0 && ok) ok = false, err = errno, op = "close";
    if (!ok) Fail(Problem{cur_.path, op, err}, AlwaysFatal(err));
  }

  void CloseFile() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  void ApplyDir(int pfd, const CachedDir* parent, const std::vector<std::string>& parts) {
    const std::string& base = parts.back();
    bool isDir = false;
    if (mkdirat(pfd, base.c_str(), (cur_.mode & 0777) | 0700) != 0) {
      if (errno != EEXIST) {
        EntryProblem("mkdir", errno);
        return;
      }
      int err = MakeRoom(pfd, base.c_str(), true, &isDir);
      if (!err && !isDir && mkdirat(pfd, base.c_str(), (cur_.mode & 0777) | 0700) != 0) err = errno;
      if (err) {
        EntryProblem("mkdir", err);
        return;
      }
    }
    int fd = openat(pfd, base.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      EntryProblem("open-dir", errno);
      return;
    }
    bool ok = !NeedChown(parent) || fchown(fd, cur_.uid, cur_.gid) == 0 || Soft("fchown", errno);
    for (size_t i = 0; ok && i < cur_.xattrs.size(); i++) {
      const Xattr& x = cur_.xattrs[i];
      ok = fsetxattr(fd, x.name.c_str(), x.value.data(), x.value.size(), 0) == 0 || Soft("fsetxattr", errno);
    }
    if (!ok) {
      close(fd);
      return;
    }
    std::string key = Join(parts, parts.size());
    cache_.erase(key);
    Cache(key, fd);
    // Mode and mtime at the end: creating entries inside changes the mtime, and a
    // directory without write permission would refuse them without CAP_DAC_OVERRIDE.
    dirs_.push_back(DirAttrs{key, cur_.mode, cur_.mtime});
  }

  void ApplyHardlink(int pfd, const std::string& base) {
    std::vector<std::string> target;
    if (!Components(cur_.linkpath, &target) || target.empty()) {
      EntryProblem("refuse-link-target", EXDEV);
      return;
    }
    int err = 0;
    const CachedDir* tparent = Parent(target, target.size() - 1, &err, false);
    if (!tparent) {
      EntryProblem("resolve-link-target", err);
      return;
    }
    int tfd = tparent->fd < 0 ? root_ : tparent->fd;
    if (linkat(tfd, target.back().c_str(), pfd, base.c_str(), 0) == 0) return;
    if (errno != EEXIST) {
      EntryProblem("link", errno);
      return;
    }
    struct stat a, b;
    if (fstatat(tfd, target.back().c_str(), &a, AT_SYMLINK_NOFOLLOW) == 0 && fstatat(pfd, base.c_str(), &b, AT_SYMLINK_NOFOLLOW) == 0 &&
        a.st_ino == b.st_ino && a.st_dev == b.st_dev)
      return;  // already that file
    bool isDir = false;
    err = MakeRoom(pfd, base.c_str(), false, &isDir);
    if (!err && linkat(tfd, target.back().c_str(), pfd, base.c_str(), 0) != 0) err = errno;
    if (err) EntryProblem("link", err);
  }

  void ApplySymlink(int pfd, const CachedDir* parent, const std::string& base) {
    if (symlinkat(cur_.linkpath.c_str(), pfd, base.c_str()) != 0) {
      int err = errno;
      bool isDir = false;
      if (err == EEXIST) err = MakeRoom(pfd, base.c_str(), false, &isDir);
      if (!err && symlinkat(cur_.linkpath.c_str(), pfd, base.c_str()) != 0) err = errno;
      if (err) {
        EntryProblem("symlink", err);
        return;
      }
    }
    if (NeedChown(parent) && fchownat(pfd, base.c_str(), cur_.uid, cur_.gid, AT_SYMLINK_NOFOLLOW) != 0 && !Soft("lchown", errno)) return;
    // No fd-based way to set a symlink's xattrs before setxattrat(2) (6.13).
    if (!cur_.xattrs.empty() && !Soft("lsetxattr", ENOTSUP)) return;
    struct timespec ts[2] = {cur_.mtime, cur_.mtime};
    if (utimensat(pfd, base.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0) EntryProblem("lutimes", errno);
  }

  void ApplyNode(int pfd, const CachedDir* parent, const std::string& base) {
    mode_t kind = cur_.type == '3' ? S_IFCHR : cur_.type == '4' ? S_IFBLK : S_IFIFO;
    if (mknodat(pfd, base.c_str(), kind | (cur_.mode & 0777), cur_.dev) != 0) {
      int err = errno;
      bool isDir = false;
      if (err == EEXIST) err = MakeRoom(pfd, base.c_str(), false, &isDir);
      if (!err && mknodat(pfd, base.c_str(), kind | (cur_.mode & 0777), cur_.dev) != 0) err = errno;
      if (err) {
        EntryProblem("mknod", err);
        return;
      }
    }
    if (NeedChown(parent) && fchownat(pfd, base.c_str(), cur_.uid, cur_.gid, AT_SYMLINK_NOFOLLOW) != 0 && !Soft("lchown", errno)) return;
    struct timespec ts[2] = {cur_.mtime, cur_.mtime};
    if (fchmodat(pfd, base.c_str(), cur_.mode, 0) != 0) EntryProblem("chmod", errno);
    else if (utimensat(pfd, base.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0) EntryProblem("utimes", errno);
  }

  // ---------------------------------------------------------------- OCI whiteouts

  void Whiteout(const std::vector<std::string>& parts) {
    whiteoutCount_++;
    int err = 0;
    size_t n = parts.size() - 1;
    const CachedDir* parent = Parent(parts, n, &err, false);
    if (!parent) {
      if (err != ENOENT) EntryProblem("resolve-parent", err);
      return;  // nothing below to hide
    }
    int pfd = parent->fd < 0 ? root_ : parent->fd;
    std::string dir = Join(parts, n);
    if (parts.back() == ".wh..wh..opq") {
      int fd = fcntl(pfd, F_DUPFD_CLOEXEC, 0);
      cacheStale_ = true;
      err = fd < 0 ? errno : Opaque(fd, dir);
      if (err) EntryProblem("opaque", err);
      return;
    }
    std::string name = parts.back().substr(4);
    std::string path = dir.empty() ? name : dir + "/" + name;
    if (name.empty() || name == "." || name == ".." || layerPaths_.count(path)) return;  // this layer's own entry stays
    bool isDir = false;
    err = MakeRoom(pfd, name.c_str(), false, &isDir);
    if (err) EntryProblem("whiteout", err);
  }

  // Empties `dir` (an fd it owns) of what lower layers put there: entries of this layer stay,
  // and inside its directories only what lower layers left is removed.
  int Opaque(int fd, const std::string& dir) {
    return ForEachEntry(fd, [this, &dir](int parent, const dirent* de) {
      std::string path = dir.empty() ? std::string(de->d_name) : dir + "/" + de->d_name;
      if (!layerPaths_.count(path)) return RemoveAt(parent, de->d_name);
      if (de->d_type != DT_DIR) return 0;
      int sub = openat(parent, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      return sub < 0 ? errno : Opaque(sub, path);
    });
  }

  int root_;
  bool lenient_;
  uint64_t maxBytes_;
  bool whiteouts_;
  bool owners_;
  bool walk_;
  uid_t euid_;
  gid_t egid_;
  mode_t umask_;
  CachedDir rootDir_;
  size_t maxCached_;
  bool cacheStale_ = false;

  State state_ = State::kHeader;
  unsigned char header_[kBlock];
  size_t headerFill_ = 0;
  int zeroBlocks_ = 0;
  uint64_t remaining_ = 0;
  uint64_t padding_ = 0;
  bool inPadding_ = false;
  char metaType_ = 0;
  std::string meta_;
  Pax pax_, global_;
  std::string longName_, longLink_;
  bool hasLongName_ = false, hasLongLink_ = false;
  Entry cur_;
  std::vector<std::string> parts_;
  int fd_ = -1;

  std::unordered_map<std::string, CachedDir> cache_;
  std::unordered_set<std::string> layerPaths_;
  std::vector<DirAttrs> dirs_;

  bool failed_ = false;
  Problem failure_{"", "", 0};
  std::vector<Problem> warnings_;
  uint64_t warningCount_ = 0;
  uint64_t entries_ = 0, bytesWritten_ = 0, streamBytes_ = 0, whiteoutCount_ = 0;
};

// ---------------------------------------------------------------- JS binding

// What a Work does on the threadpool: feed a chunk, read a whole fd, or finish.
enum class Job { kChunk, kFd, kFinish };

// A plain layer in a file is read here, on the threadpool, to its end: one hop from
// Node's thread for the whole layer instead of one per chunk (each hop waits for a CPU
// on a loaded machine).
bool FeedFd(Extractor* x, int fd) {
  // A regular file is mapped a window at a time: the data goes from the page cache to the
  // new files with one copy (write), not two (read, then write), and memory stays flat.
  struct stat st;
  off_t start = lseek(fd, 0, SEEK_CUR);
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && start >= 0 && start % 4096 == 0) {
    constexpr off_t kWindow = 16 << 20;
    for (off_t off = start; off < st.st_size; off += kWindow) {
      size_t len = static_cast<size_t>(std::min<off_t>(kWindow, st.st_size - off));
      void* p = mmap(nullptr, len, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, off);
      if (p == MAP_FAILED) return x->ReadFailed(errno);
      bool ok = x->Feed(static_cast<const unsigned char*>(p), len);
      munmap(p, len);
      if (!ok) return false;
    }
    lseek(fd, st.st_size, SEEK_SET);
    return x->Finish();
  }
  constexpr size_t kRead = 4 << 20;
  std::vector<unsigned char> buf(kRead);
  for (;;) {
    ssize_t n = read(fd, buf.data(), kRead);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return x->ReadFailed(errno);
    if (n == 0) return x->Finish();
    if (!x->Feed(buf.data(), static_cast<size_t>(n))) return false;
  }
}

class Work : public Napi::AsyncWorker {
 public:
  Work(Napi::Env env, Extractor* x, Napi::Buffer<unsigned char> chunk, Job job, int fd)
      : Napi::AsyncWorker(env), x_(x), deferred_(Napi::Promise::Deferred::New(env)), job_(job), fd_(fd) {
    if (job == Job::kChunk) {
      ref_ = Napi::Persistent(chunk);
      data_ = chunk.Data();
      len_ = chunk.Length();
    }
  }
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    ok_ = job_ == Job::kFinish ? x_->Finish() : job_ == Job::kFd ? FeedFd(x_, fd_) : x_->Feed(data_, len_);
  }
  void OnOK() override { deferred_.Resolve(Napi::Boolean::New(Env(), ok_)); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Extractor* x_;
  Napi::Promise::Deferred deferred_;
  Napi::Reference<Napi::Buffer<unsigned char>> ref_;
  const unsigned char* data_ = nullptr;
  size_t len_ = 0;
  Job job_;
  int fd_;
  bool ok_ = false;
};

Napi::Object ProblemObject(Napi::Env env, const Problem& p) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("path", Napi::Buffer<char>::Copy(env, p.path.data(), p.path.size()));
  o.Set("op", p.op);
  o.Set("errno", p.err);
  return o;
}

class ExtractorWrap : public Napi::ObjectWrap<ExtractorWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Extractor",
                       {InstanceMethod<&ExtractorWrap::Write>("write"), InstanceMethod<&ExtractorWrap::End>("end"),
                        InstanceMethod<&ExtractorWrap::ExtractFd>("extractFd"),
                        InstanceMethod<&ExtractorWrap::Report>("report"), InstanceMethod<&ExtractorWrap::Close>("close")});
  }

  // new Extractor(rootDir: string | Buffer, { lenient, maxBytes, whiteouts, owners, walk })
  explicit ExtractorWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ExtractorWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[1].IsObject()) throw Napi::TypeError::New(env, "new Extractor(rootDir, options)");
    std::string dir;
    if (info[0].IsBuffer()) {
      auto b = info[0].As<Napi::Buffer<char>>();
      dir.assign(b.Data(), b.Length());
    } else if (info[0].IsString()) {
      dir = info[0].As<Napi::String>().Utf8Value();
    } else {
      throw Napi::TypeError::New(env, "new Extractor(rootDir, options): rootDir is a string or Buffer");
    }
    if (dir.find('\0') != std::string::npos) throw Napi::TypeError::New(env, "rootDir holds a NUL byte");
    Napi::Object o = info[1].As<Napi::Object>();
    auto flag = [&](const char* k) { return o.Get(k).ToBoolean().Value(); };
    double maxBytes = o.Get("maxBytes").ToNumber().DoubleValue();
    int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw SyscallError(env, "open-root", errno);
    x_ = new Extractor(fd, flag("lenient"), maxBytes > 0 ? static_cast<uint64_t>(maxBytes) : UINT64_MAX, flag("whiteouts"),
                       flag("owners"), flag("walk"));
  }
  ~ExtractorWrap() override { delete x_; }

 private:
  Extractor* Live(Napi::Env env) {
    if (!x_) throw Napi::Error::New(env, "the extractor is closed");
    if (busy_) throw Napi::Error::New(env, "the extractor is busy: await each write()");
    return x_;
  }

  Napi::Value Queue(const Napi::CallbackInfo& info, Job job) {
    Napi::Env env = info.Env();
    Extractor* x = Live(env);
    Napi::Buffer<unsigned char> chunk;
    int fd = -1;
    if (job == Job::kChunk) {
      if (info.Length() < 1 || !info[0].IsBuffer()) throw Napi::TypeError::New(env, "write(buffer)");
      chunk = info[0].As<Napi::Buffer<unsigned char>>();
    } else if (job == Job::kFd) {
      if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "extractFd(fd)");
      fd = info[0].As<Napi::Number>().Int32Value();
    }
    auto* w = new Work(env, x, chunk, job, fd);
    Napi::Promise p = w->Promise();
    busy_ = true;
    Ref();
    w->Queue();
    // Busy until the work is done: released by a then-callback on its promise.
    Napi::Function release = Napi::Function::New(env, [this](const Napi::CallbackInfo& i) {
      busy_ = false;
      Unref();
      return i.Length() ? i[0] : i.Env().Undefined();
    });
    return p.Get("then").As<Napi::Function>().Call(p, {release}).As<Napi::Promise>();
  }

  Napi::Value Write(const Napi::CallbackInfo& info) { return Queue(info, Job::kChunk); }
  Napi::Value End(const Napi::CallbackInfo& info) { return Queue(info, Job::kFinish); }
  // Reads a plain tar from fd (its current offset) to its end and finishes.
  Napi::Value ExtractFd(const Napi::CallbackInfo& info) { return Queue(info, Job::kFd); }

  // { entries, bytesWritten, streamBytes, whiteouts, warningCount, warnings: [...], failure? }
  Napi::Value Report(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Extractor* x = Live(env);
    Napi::Object o = Napi::Object::New(env);
    o.Set("entries", static_cast<double>(x->entries()));
    o.Set("bytesWritten", static_cast<double>(x->bytesWritten()));
    o.Set("streamBytes", static_cast<double>(x->streamBytes()));
    o.Set("whiteouts", static_cast<double>(x->whiteouts()));
    o.Set("warningCount", static_cast<double>(x->warningCount()));
    Napi::Array w = Napi::Array::New(env, x->warnings().size());
    for (size_t i = 0; i < x->warnings().size(); i++) w.Set(static_cast<uint32_t>(i), ProblemObject(env, x->warnings()[i]));
    o.Set("warnings", w);
    if (x->failure().err) o.Set("failure", ProblemObject(env, x->failure()));
    return o;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Live(info.Env());
    delete x_;
    x_ = nullptr;
    return info.Env().Undefined();
  }

  Extractor* x_ = nullptr;
  bool busy_ = false;
};

}  // namespace

Napi::Function DefineExtractor(Napi::Env env) { return ExtractorWrap::Define(env); }

}  // namespace reexecer
