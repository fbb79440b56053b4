// Paths for isa_corpus tests: ctest sets KSEARCH_SOURCE_DIR (see the
// top-level ksearch_add_test); running a test binary by hand falls back to
// the source dir compiled into the library.
#pragma once

#include <cstdlib>
#include <string>

namespace ksearch::isa_corpus::testing {

inline std::string SourceDir() {
  const char* env = std::getenv("KSEARCH_SOURCE_DIR");
  if (env != nullptr && *env != '\0') return env;
  return KSEARCH_TEST_SOURCE_DIR;
}
inline std::string TestData(const std::string& rel) { return SourceDir() + "/isa_corpus/testdata/" + rel; }

}  // namespace ksearch::isa_corpus::testing
