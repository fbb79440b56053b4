// Helpers for the evaluator's tests: temp work dirs and small task copies.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace ksearch::evaluator::testing {

inline std::string SourceDir() { return KSEARCH_TEST_SOURCE_DIR; }

inline std::string TempDir(const std::string& tag) {
  static int n = 0;
  auto dir = std::filesystem::temp_directory_path() /
             ("ksearch-" + tag + "-" + std::to_string(getpid()) + "-" + std::to_string(n++));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Copies configs/tasks/softmax into a temp folder, replacing the host shape
// suites by small ones so a test run takes a fraction of a second, and applying
// an optional textual replacement to task.yaml.
inline std::string SmallSoftmaxTask(const std::string& from = "", const std::string& to = "") {
  namespace fs = std::filesystem;
  std::string dir = TempDir("task");
  fs::copy(SourceDir() + "/configs/tasks/softmax", dir, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  std::string y = ReadFile(dir + "/task.yaml");
  auto repl = [&](const std::string& a, const std::string& b) {
    size_t p = y.find(a);
    if (p != std::string::npos) y.replace(p, a.size(), b);
  };
  repl("    - {M: 256, N: 1024}\n    - {M: 32, N: 8192}\n", "    - {M: 16, N: 256}\n");
  repl("host: [{M: 37, N: 999}, {M: 3, N: 1}]", "host: [{M: 5, N: 37}]");
  if (!from.empty()) repl(from, to);
  std::ofstream(dir + "/task.yaml") << y;
  return dir;
}

}  // namespace ksearch::evaluator::testing
