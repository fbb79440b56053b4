#include "ksearch/core/file_text.h"

#include <catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using ksearch::ReadFileText;

// A fresh directory under the system's temporary directory, removed at scope end.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string t = (fs::temp_directory_path() / "ksearch-file-text-XXXXXX").string();
    path = ::mkdtemp(t.data());
  }
  ~TempDir() { fs::remove_all(path); }
};

void Write(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary);
  out << bytes;
}

}  // namespace

TEST_CASE("ReadFileText returns the file's bytes unchanged", "[file_text]") {
  TempDir dir;
  SECTION("NUL bytes and CR LF line ends") {
    const std::string bytes("a\0b\r\nc\n", 7);
    Write(dir.path / "f", bytes);
    auto got = ReadFileText((dir.path / "f").string());
    REQUIRE(got.ok());
    CHECK(*got == bytes);
  }
  SECTION("an empty file") {
    Write(dir.path / "empty", "");
    auto got = ReadFileText((dir.path / "empty").string());
    REQUIRE(got.ok());
    CHECK(got->empty());
  }
  SECTION("a file several times the read buffer") {
    std::string bytes(300000, '\0');
    std::mt19937 rng(7);
    for (char& c : bytes) c = static_cast<char>(rng());
    Write(dir.path / "big", bytes);
    auto got = ReadFileText((dir.path / "big").string());
    REQUIRE(got.ok());
    CHECK(got->size() == bytes.size());
    CHECK(*got == bytes);
  }
}

TEST_CASE("ReadFileText reads a file whose stat size is 0 to its end", "[file_text]") {
  auto got = ReadFileText("/proc/self/status");
  REQUIRE(got.ok());
  CHECK(got->find("Pid:") != std::string::npos);
}

TEST_CASE("ReadFileText names the path and the reason when it cannot read", "[file_text]") {
  TempDir dir;
  SECTION("a missing file") {
    const std::string p = (dir.path / "missing.yaml").string();
    auto got = ReadFileText(p);
    REQUIRE_FALSE(got.ok());
    CHECK(got.status().IsNotFound());
    CHECK(got.status().message() == p + ": cannot read: No such file or directory");
  }
  SECTION("a missing file, with its role") {
    const std::string p = (dir.path / "c.yaml").string();
    auto got = ReadFileText(p, "the campaign file");
    REQUIRE_FALSE(got.ok());
    CHECK(got.status().message() == p + ": cannot read the campaign file: No such file or directory");
  }
  SECTION("a directory") {
    auto got = ReadFileText(dir.path.string());
    REQUIRE_FALSE(got.ok());
    CHECK(got.status().message() == dir.path.string() + ": cannot read: Is a directory");
  }
}
