#include "checks/fs_confine.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

namespace ksearch::evaluator::checks {
namespace {

// Kernel ABI, declared here because Debian 12's <linux/landlock.h> predates the
// network and scope fields. The kernel accepts any prefix of the struct by size.
struct RulesetAttr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;
  uint64_t scoped;
};
struct PathBeneathAttr {
  uint64_t allowed_access;
  int32_t parent_fd;
} __attribute__((packed));

constexpr uint32_t kCreateRulesetVersion = 1u << 0;
constexpr int kRulePathBeneath = 1;

constexpr uint64_t kExecute = 1ull << 0, kWriteFile = 1ull << 1, kReadFile = 1ull << 2,
                   kReadDir = 1ull << 3, kRemoveDir = 1ull << 4, kRemoveFile = 1ull << 5,
                   kMakeChar = 1ull << 6, kMakeDir = 1ull << 7, kMakeReg = 1ull << 8,
                   kMakeSock = 1ull << 9, kMakeFifo = 1ull << 10, kMakeBlock = 1ull << 11,
                   kMakeSym = 1ull << 12, kRefer = 1ull << 13, kTruncate = 1ull << 14,
                   kIoctlDev = 1ull << 15;
constexpr uint64_t kNetBindTcp = 1ull << 0, kNetConnectTcp = 1ull << 1;
constexpr uint64_t kScopeAbstractUnix = 1ull << 0, kScopeSignal = 1ull << 1;

// Rights valid on a regular file (the kernel rejects directory rights there).
constexpr uint64_t kFileRights = kExecute | kWriteFile | kReadFile | kTruncate | kIoctlDev;

uint64_t FsRightsFor(int abi) {
  uint64_t all = (kMakeSym << 1) - 1;  // ABI 1: bits 0..12
  if (abi >= 2) all |= kRefer;
  if (abi >= 3) all |= kTruncate;
  if (abi >= 5) all |= kIoctlDev;
  return all;
}

Status AddPath(int ruleset, const std::string& path, uint64_t rights) {
  int fd = open(path.c_str(), O_PATH | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::Ok();  // a folder this machine lacks (e.g. /opt)
    return Status::InvalidArgument(path + ": cannot open for confinement: " + strerror(errno));
  }
  struct stat st;
  if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode)) rights &= kFileRights;
  PathBeneathAttr attr{rights, fd};
  long r = syscall(SYS_landlock_add_rule, ruleset, kRulePathBeneath, &attr, 0);
  int err = errno;
  close(fd);
  if (r != 0) return Status::Internal(path + ": landlock_add_rule: " + strerror(err));
  return Status::Ok();
}

}  // namespace

ConfineOptions DefaultRunnerConfinement(const std::string& artifact) {
  ConfineOptions o;
  o.read_only = {"/usr", "/lib", "/lib64", "/etc", "/proc", "/sys", "/opt", artifact};
  o.read_write = {"/dev"};
  return o;
}

Result<int> LandlockAbiVersion() {
  long v = syscall(SYS_landlock_create_ruleset, nullptr, 0, kCreateRulesetVersion);
  if (v < 0) return Status::Unavailable(std::string("landlock unavailable: ") + strerror(errno));
  return static_cast<int>(v);
}

Status ConfineFilesystem(const ConfineOptions& options) {
  auto abi = LandlockAbiVersion();
  if (!abi.ok()) return abi.status();
  RulesetAttr attr{};
  attr.handled_access_fs = FsRightsFor(*abi);
  size_t size = sizeof(uint64_t);
  if (*abi >= 4 && options.deny_tcp) {
    attr.handled_access_net = kNetBindTcp | kNetConnectTcp;
    size = 2 * sizeof(uint64_t);
  }
  if (*abi >= 6 && options.scope_signals) {
    attr.scoped = kScopeAbstractUnix | kScopeSignal;
    size = sizeof(RulesetAttr);
  }
  long ruleset = syscall(SYS_landlock_create_ruleset, &attr, size, 0);
  if (ruleset < 0) return Status::Internal(std::string("landlock_create_ruleset: ") + strerror(errno));
  int rs = static_cast<int>(ruleset);
  const uint64_t read = kExecute | kReadFile | kReadDir;
  const uint64_t write = attr.handled_access_fs;  // everything handled
  Status s;
  for (const auto& p : options.read_only)
    if (s.ok()) s = AddPath(rs, p, read & attr.handled_access_fs);
  for (const auto& p : options.read_write)
    if (s.ok()) s = AddPath(rs, p, write);
  if (s.ok() && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    s = Status::Internal(std::string("prctl(PR_SET_NO_NEW_PRIVS): ") + strerror(errno));
  if (s.ok() && syscall(SYS_landlock_restrict_self, rs, 0) != 0)
    s = Status::Internal(std::string("landlock_restrict_self: ") + strerror(errno));
  close(rs);
  return s;
}

}  // namespace ksearch::evaluator::checks
