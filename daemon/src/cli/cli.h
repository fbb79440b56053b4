// The `ksearch` command line: argument parsing and the command registry.
//
// Each command lives in its own file daemon/src/cli/cmd_<topic>.cc and
// registers itself with KSEARCH_CLI_COMMAND. Commands print human tables by
// default and JSON with --json; they return the process exit code
// (0 success, 1 the operation failed, 2 usage error).
// Thread-safety: single-threaded (main).
#pragma once

#include <iosfwd>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ksearch/core/status.h"

namespace ksearch::cli {

class Args {
 public:
  // Parses argv after the command words. "--name value" and "--name=value" are
  // options; names listed in `flags` take no value ("--json"). Everything else
  // is positional. Unknown options are kept; commands reject what they do not know.
  static Result<Args> Parse(const std::vector<std::string>& argv, const std::set<std::string>& flags);

  const std::vector<std::string>& positional() const { return positional_; }
  bool Has(const std::string& name) const;              // option or flag present
  std::string Get(const std::string& name, const std::string& fallback = "") const;
  // --NAME as a number, `fallback` when the option is absent. The whole value
  // must be the number ("10abc", "-5" for an unsigned, "1e999" are refused) and
  // lie in [min, max]; the error names the option, the value and the range.
  Result<int64_t> GetInt(const std::string& name, int64_t fallback, int64_t min, int64_t max) const;
  Result<uint64_t> GetUint64(const std::string& name, uint64_t fallback) const;
  Result<double> GetDouble(const std::string& name, double fallback, double min, double max) const;
  // Error naming the first option not in `known` (flags included).
  Status CheckKnown(const std::set<std::string>& known) const;
  bool json() const { return Has("json"); }

 private:
  std::vector<std::string> positional_;
  std::map<std::string, std::string> options_;
  std::set<std::string> flags_;
};

// The database a command reads: --db, else $KSEARCH_DB, else ./ksearch.db.
std::string DatabasePath(const Args& args);

struct Io {
  std::ostream& out;
  std::ostream& err;
};

using CommandFn = int (*)(const Args& args, Io io);

struct Command {
  std::string words;     // "log verify", "deadends", "isa search"
  std::string usage;     // one line: "ksearch deadends --db PATH [--task T] ..."
  std::string summary;   // one line of help
  std::set<std::string> flags;  // options without a value, e.g. {"json"}
  CommandFn fn;
};

// Registry. Commands register at static-initialization time.
std::vector<Command>& Registry();
struct Registrar {
  explicit Registrar(Command c) { Registry().push_back(std::move(c)); }
};

#define KSEARCH_CLI_CONCAT2(a, b) a##b
#define KSEARCH_CLI_CONCAT(a, b) KSEARCH_CLI_CONCAT2(a, b)
#define KSEARCH_CLI_COMMAND(...) \
  static ::ksearch::cli::Registrar KSEARCH_CLI_CONCAT(ks_cli_registrar_, __LINE__)(::ksearch::cli::Command{__VA_ARGS__})

// Prints a simple aligned table (human output).
void PrintTable(std::ostream& out, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows);

}  // namespace ksearch::cli
