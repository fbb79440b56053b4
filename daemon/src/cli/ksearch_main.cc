// `ksearch`: dispatches to the longest registered command matching argv.
#include <algorithm>
#include <iostream>
#include <set>
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

// Options before the command ("ksearch --daemon-config X campaign list", as
// git and kubectl take them) move behind it, where the command parses them as
// its own (an option the command does not know is still its usage error). A
// leading "--name" takes the next word as its value unless some command
// declares it a flag (--json); "--name=value" is one word. "--help" and "-h"
// stay where they are.
std::vector<std::string> HoistLeadingOptions(std::vector<std::string> args) {
  std::set<std::string> flags;
  for (const auto& c : ksearch::cli::Registry()) flags.insert(c.flags.begin(), c.flags.end());
  size_t i = 0;
  while (i < args.size() && args[i].rfind("--", 0) == 0 && args[i].size() > 2 && args[i] != "--help") {
    const std::string name = args[i].substr(2);
    const bool takes_value = name.find('=') == std::string::npos && !flags.count(name);
    i += takes_value && i + 1 < args.size() ? 2 : 1;
  }
  if (i == 0) return args;
  std::vector<std::string> out(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  out.insert(out.end(), args.begin(), args.begin() + static_cast<std::ptrdiff_t>(i));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args = HoistLeadingOptions({argv + 1, argv + argc});
  if (!args.empty() && args[0].rfind("--", 0) == 0 && args[0] != "--help") {
    std::cerr << "ksearch: a command is needed (see 'ksearch help')\n";
    return 2;
  }
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
    // "ksearch campaign" or "ksearch campaign strat": name the group's commands.
    std::vector<std::string> group;
    for (const auto& c : ksearch::cli::Registry())
      if (c.words.rfind(args[0] + " ", 0) == 0) group.push_back(c.usage);
    std::sort(group.begin(), group.end());
    if (group.empty()) {
      std::cerr << "ksearch: unknown command '" << args[0] << "' (see 'ksearch help')\n";
    } else {
      std::cerr << "ksearch " << args[0] << ": "
                << (args.size() > 1 ? "unknown subcommand '" + args[1] + "'" : std::string("a subcommand is needed"))
                << "; one of:\n";
      for (const auto& usage : group) std::cerr << "  " << usage << "\n";
    }
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
