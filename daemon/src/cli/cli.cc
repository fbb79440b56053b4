#include "cli/cli.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <ostream>
#include <sstream>

namespace ksearch::cli {

Result<Args> Args::Parse(const std::vector<std::string>& argv, const std::set<std::string>& flags) {
  Args a;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& tok = argv[i];
    if (tok.size() > 2 && tok.rfind("--", 0) == 0) {
      std::string name = tok.substr(2), value;
      auto eq = name.find('=');
      if (eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        a.options_[name] = value;
      } else if (flags.count(name)) {
        a.flags_.insert(name);
      } else {
        if (i + 1 >= argv.size())
          return Status::InvalidArgument("option --" + name + " needs a value");
        a.options_[name] = argv[++i];
      }
    } else {
      a.positional_.push_back(tok);
    }
  }
  return a;
}

bool Args::Has(const std::string& name) const {
  return options_.count(name) > 0 || flags_.count(name) > 0;
}

std::string Args::Get(const std::string& name, const std::string& fallback) const {
  auto it = options_.find(name);
  return it == options_.end() ? fallback : it->second;
}

namespace {

// The whole of `text` as a T, or nothing (from_chars: no locale, no leading
// '+' or spaces, no trailing bytes).
template <typename T>
std::optional<T> ParseWhole(const std::string& text) {
  T v{};
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || p != end || text.empty()) return std::nullopt;
  return v;
}

template <typename T>
Result<T> GetNumber(const Args& a, const std::string& name, T fallback, T min, T max, const char* kind) {
  if (!a.Has(name)) return fallback;
  const std::string text = a.Get(name);
  std::optional<T> v = ParseWhole<T>(text);
  if (!v || !(*v >= min && *v <= max)) {
    std::ostringstream range;
    range << kind << " from " << min << " to " << max;
    return Status::InvalidArgument("--" + name + ": '" + text + "' is not " + range.str());
  }
  return *v;
}

}  // namespace

Result<int64_t> Args::GetInt(const std::string& name, int64_t fallback, int64_t min, int64_t max) const {
  return GetNumber<int64_t>(*this, name, fallback, min, max, "an integer");
}

Result<uint64_t> Args::GetUint64(const std::string& name, uint64_t fallback) const {
  return GetNumber<uint64_t>(*this, name, fallback, 0, UINT64_MAX, "an integer");
}

Result<double> Args::GetDouble(const std::string& name, double fallback, double min, double max) const {
  return GetNumber<double>(*this, name, fallback, min, max, "a number");
}

Status Args::CheckKnown(const std::set<std::string>& known) const {
  for (const auto& [k, v] : options_)
    if (!known.count(k)) return Status::InvalidArgument("unknown option --" + k);
  for (const auto& f : flags_)
    if (!known.count(f)) return Status::InvalidArgument("unknown option --" + f);
  return Status::Ok();
}

std::string DatabasePath(const Args& args) {
  if (args.Has("db")) return args.Get("db");
  if (const char* env = std::getenv("KSEARCH_DB"); env && *env) return env;
  return "ksearch.db";
}

std::vector<Command>& Registry() {
  static std::vector<Command> commands;
  return commands;
}

void PrintTable(std::ostream& out, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < width.size(); ++i)
      width[i] = std::max(width[i], row[i].size());
  };
  measure(header);
  for (const auto& r : rows) measure(r);
  auto print = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
      out << row[i];
      if (i + 1 < row.size()) out << std::string(width[i] - row[i].size() + 2, ' ');
    }
    out << '\n';
  };
  print(header);
  for (const auto& r : rows) print(r);
}

}  // namespace ksearch::cli
