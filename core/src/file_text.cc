#include "ksearch/core/file_text.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ksearch {
namespace {

Status ReadError(const std::string& path, std::string_view what, int err) {
  std::string msg = path + ": cannot read";
  if (!what.empty()) msg.append(" ").append(what);
  return Status::NotFound(msg + ": " + std::strerror(err));
}

}  // namespace

Result<std::string> ReadFileText(const std::string& path, std::string_view what) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ReadError(path, what, errno);
  std::string out;
  struct stat st{};
  // The size is a hint: a file that grows or shrinks while it is read (or a
  // /proc file that reports 0) is still read to its end.
  if (::fstat(fd, &st) == 0 && st.st_size > 0) out.reserve(static_cast<size_t>(st.st_size));
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) { out.append(buf, static_cast<size_t>(n)); continue; }
    if (n == 0) break;
    if (errno == EINTR) continue;
    const int err = errno;
    ::close(fd);
    return ReadError(path, what, err);
  }
  ::close(fd);
  return out;
}

}  // namespace ksearch
