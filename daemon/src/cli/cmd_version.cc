// `ksearch version [--json]`.
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/cli.h"

namespace ksearch::cli {
namespace {

// The project's version, from CMakeLists.txt (project(... VERSION ...)).
constexpr const char* kVersion = KSEARCH_VERSION;

int RunVersion(const Args& args, Io io) {
  // Arguments were ignored before 2026-11-25 ("ksearch version --json" was a
  // usage error, "ksearch version x" printed the version).
  if (Status s = args.CheckKnown({"json"}); !s.ok() || !args.positional().empty()) {
    io.err << "ksearch version: " << (s.ok() ? "unexpected argument '" + args.positional()[0] + "'" : s.message())
           << "\nusage: ksearch version [--json]\n";
    return 2;
  }
  if (args.json()) io.out << nlohmann::json{{"version", kVersion}}.dump() << "\n";
  else io.out << "ksearch " << kVersion << "\n";
  return 0;
}

}  // namespace

KSEARCH_CLI_COMMAND("version", "ksearch version [--json]", "print the version", {"json"}, &RunVersion);

}  // namespace ksearch::cli
