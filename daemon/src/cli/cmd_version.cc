#include <ostream>

#include "cli/cli.h"

namespace ksearch::cli {
namespace {

int RunVersion(const Args& args, Io io) {
  io.out << "ksearch 0.1.0\n";
  return 0;
}

}  // namespace

KSEARCH_CLI_COMMAND("version", "ksearch version", "print the version", {}, &RunVersion);

}  // namespace ksearch::cli
