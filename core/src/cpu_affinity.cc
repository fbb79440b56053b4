#include "ksearch/core/cpu_affinity.h"

#include <sched.h>
#include <string.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

namespace ksearch {

Result<std::vector<int>> AllowedCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0)
    return Status::IoError(std::string("sched_getaffinity: ") + strerror(errno));
  std::vector<int> out;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) out.push_back(c);
  return out;
}

Status PinCallingThread(const std::vector<int>& cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : cpus) {
    if (c < 0 || c >= CPU_SETSIZE)
      return Status::InvalidArgument("CPU " + std::to_string(c) + " is out of range (0-" +
                                     std::to_string(CPU_SETSIZE - 1) + ")");
    CPU_SET(c, &set);
  }
  if (sched_setaffinity(0, sizeof set, &set) != 0)
    return Status::InvalidArgument("cannot run on CPUs " + FormatCpuList(cpus) + ": " + strerror(errno));
  return Status::Ok();
}

Result<std::vector<int>> ParseCpuList(std::string_view text) {
  std::vector<int> out;
  auto number = [](std::string_view s, int& v) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && p == s.data() + s.size() && v >= 0 && v < CPU_SETSIZE;
  };
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    std::string_view part = text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    int lo = 0, hi = 0;
    size_t dash = part.find('-');
    bool ok = dash == std::string_view::npos ? number(part, lo) && (hi = lo, true)
                                             : number(part.substr(0, dash), lo) && number(part.substr(dash + 1), hi);
    if (!ok || hi < lo)
      return Status::InvalidArgument("CPU list '" + std::string(text) + "': '" + std::string(part) +
                                     "' is not a CPU number or a range LOW-HIGH (0-" +
                                     std::to_string(CPU_SETSIZE - 1) + ")");
    for (int c = lo; c <= hi; ++c) out.push_back(c);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string FormatCpuList(const std::vector<int>& cpus) {
  std::string out;
  for (size_t i = 0; i < cpus.size();) {
    size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(cpus[i]);
    if (j > i) {
      out += '-';
      out += std::to_string(cpus[j]);
    }
    i = j + 1;
  }
  return out;
}

}  // namespace ksearch
