// `ksearch`: dispatches to the longest registered command matching argv.
#include <algorithm>
#include <iostream>
#include <sstream>

#include "cli/cli.h"

namespace {

void PrintHelp(std::ostream& out) {
  out << "usage: ksearch COMMAND [options]\n\ncommands:\n";
  auto commands = ksearch::cli::Registry();
  std::sort(commands.begin(), commands.end(),
            [](const auto& a, const auto& b) { return a.words < b.words; });
  for (const auto& c : commands) out << "  " << c.usage << "\n      " << c.summary << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    PrintHelp(std::cout);
    return args.empty() ? 2 : 0;
  }
  const ksearch::cli::Command* best = nullptr;
  size_t best_words = 0;
  for (const auto& c : ksearch::cli::Registry()) {
    std::istringstream ss(c.words);
    std::string w;
    size_t n = 0;
    bool match = true;
    while (ss >> w) {
      if (n >= args.size() || args[n] != w) { match = false; break; }
      ++n;
    }
    if (match && n > best_words) { best = &c; best_words = n; }
  }
  if (!best) {
    std::cerr << "ksearch: unknown command '" << args[0] << "' (see 'ksearch help')\n";
    return 2;
  }
  std::vector<std::string> rest(args.begin() + best_words, args.end());
  auto parsed = ksearch::cli::Args::Parse(rest, best->flags);
  if (!parsed.ok()) {
    std::cerr << "ksearch " << best->words << ": " << parsed.status().message() << "\nusage: "
              << best->usage << "\n";
    return 2;
  }
  try {
    return best->fn(*parsed, ksearch::cli::Io{std::cout, std::cerr});
  } catch (const std::exception& e) {
    std::cerr << "ksearch " << best->words << ": " << e.what() << "\n";
    return 1;
  }
}
