#include "api/auth.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace ksearch::daemon {

Result<std::string> ReadToken(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0)
    return Status::NotFound(path + ": token file: " + std::strerror(errno));
  if (st.st_mode & (S_IRWXG | S_IRWXO))
    return Status::FailedPrecondition(path + ": token file is readable by group or others (chmod 600 it)");
  std::ifstream in(path);
  std::string token;
  std::getline(in, token);
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' '))
    token.pop_back();
  if (token.size() < 16) return Status::InvalidArgument(path + ": token file holds no usable token");
  return token;
}

Result<std::string> LoadOrCreateToken(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) == 0) return ReadToken(path);
  std::error_code ec;
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  unsigned char raw[32];
  int rnd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (rnd < 0 || read(rnd, raw, sizeof raw) != static_cast<ssize_t>(sizeof raw)) {
    if (rnd >= 0) close(rnd);
    return Status::Internal("cannot read /dev/urandom for the API token");
  }
  close(rnd);
  static const char* kHex = "0123456789abcdef";
  std::string token;
  for (unsigned char b : raw) {
    token += kHex[b >> 4];
    token += kHex[b & 15];
  }
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IoError(path + ": cannot create token file: " + std::strerror(errno));
  std::string line = token + "\n";
  bool ok = write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ok = (fsync(fd) == 0) && ok;
  close(fd);
  if (!ok) return Status::IoError(path + ": cannot write token file");
  return token;
}

bool CheckBearer(const std::string& authorization, const std::string& token) {
  static const std::string kPrefix = "Bearer ";
  if (token.empty() || authorization.size() != kPrefix.size() + token.size()) return false;
  if (authorization.compare(0, kPrefix.size(), kPrefix) != 0) return false;
  unsigned diff = 0;
  for (size_t i = 0; i < token.size(); ++i)
    diff |= static_cast<unsigned char>(authorization[kPrefix.size() + i]) ^
            static_cast<unsigned char>(token[i]);
  return diff == 0;
}

}  // namespace ksearch::daemon
