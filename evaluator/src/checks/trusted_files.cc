#include "checks/trusted_files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "ksearch/core/sha256.h"

namespace fs = std::filesystem;

namespace ksearch::evaluator::checks {
namespace {

Result<std::string> HashFile(const fs::path& p) {
  std::error_code ec;
  if (fs::is_symlink(fs::symlink_status(p, ec))) {
    auto target = fs::read_symlink(p, ec);
    if (ec) return Status::IoError(p.string() + ": cannot read symlink: " + ec.message());
    return "symlink:" + target.string();
  }
  std::ifstream f(p, std::ios::binary);
  if (!f) return Status::IoError(p.string() + ": cannot read trusted file");
  Sha256 h;
  char buf[1 << 16];
  while (f) {
    f.read(buf, sizeof buf);
    h.Update(buf, static_cast<size_t>(f.gcount()));
  }
  if (f.bad()) return Status::IoError(p.string() + ": read error");
  return h.HexDigest();
}

Status HashTree(const std::string& root, std::map<std::string, std::string>& out) {
  std::error_code ec;
  auto st = fs::symlink_status(root, ec);
  if (ec || !fs::exists(st)) return Status::NotFound(root + ": trusted path does not exist");
  if (!fs::is_directory(st)) {
    auto h = HashFile(root);
    if (!h.ok()) return h.status();
    out[root] = *h;
    return Status::Ok();
  }
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    auto s = it->symlink_status(ec);
    if (ec) break;
    if (fs::is_directory(s)) continue;
    auto h = HashFile(it->path());
    if (!h.ok()) return h.status();
    out[it->path().string()] = *h;
  }
  if (ec) return Status::IoError(root + ": cannot walk trusted folder: " + ec.message());
  return Status::Ok();
}

}  // namespace

nlohmann::json TrustedManifest::ToJson() const {
  return {{"roots", roots}, {"files", sha256.size()}, {"sha256", sha256}};
}

Result<TrustedManifest> SnapshotTrustedFiles(const std::vector<std::string>& paths) {
  TrustedManifest m;
  m.roots = paths;
  for (const auto& p : paths) KS_RETURN_IF_ERROR(HashTree(p, m.sha256));
  return m;
}

Status VerifyTrustedFiles(const TrustedManifest& manifest) {
  std::map<std::string, std::string> now;
  std::string problems;
  for (const auto& p : manifest.roots) {
    Status s = HashTree(p, now);
    if (!s.ok()) problems += s.message() + "\n";
  }
  for (const auto& [path, digest] : manifest.sha256) {
    auto it = now.find(path);
    if (it == now.end())
      problems += path + ": trusted file missing\n";
    else if (it->second != digest)
      problems += path + ": trusted file modified (sha256 " + digest.substr(0, 12) + " -> " +
                  it->second.substr(0, 12) + ")\n";
  }
  for (const auto& [path, digest] : now)
    if (!manifest.sha256.count(path)) problems += path + ": file added to a trusted folder\n";
  if (problems.empty()) return Status::Ok();
  problems.pop_back();
  return Status::Corruption(problems);
}

Status MakeReadOnly(const std::vector<std::string>& paths) {
  auto drop = [](const fs::path& p) -> Status {
    struct stat st;
    if (lstat(p.c_str(), &st) != 0) return Status::IoError(p.string() + ": cannot stat");
    if (S_ISLNK(st.st_mode)) return Status::Ok();
    if (chmod(p.c_str(), st.st_mode & ~(S_IWUSR | S_IWGRP | S_IWOTH)) != 0)
      return Status::IoError(p.string() + ": cannot chmod read-only");
    return Status::Ok();
  };
  for (const auto& root : paths) {
    std::error_code ec;
    if (fs::is_directory(fs::symlink_status(root, ec))) {
      for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
           it.increment(ec))
        KS_RETURN_IF_ERROR(drop(it->path()));
    }
    KS_RETURN_IF_ERROR(drop(root));
  }
  return Status::Ok();
}

}  // namespace ksearch::evaluator::checks
