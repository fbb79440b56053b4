#include "ksearch/planner/repair.h"

#include <algorithm>
#include <regex>
#include <set>
#include <sstream>

namespace ksearch::planner {

namespace {

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  std::string l;
  std::istringstream in(s);
  while (std::getline(in, l)) out.push_back(l);
  return out;
}

std::string Fit(const std::string& s, size_t budget) {
  if (s.size() <= budget) return s;
  const std::string marker = "\n[... excerpt truncated]";
  return budget > marker.size() ? s.substr(0, budget - marker.size()) + marker : s.substr(0, budget);
}

struct Diag {
  int line = 0;
  bool error = false;
  std::string text;
};

}  // namespace

std::string CompileDiagnosticsExcerpt(const std::string& log, const std::string& source,
                                      size_t budget) {
  static const std::regex gcc(R"(^\S*?:(\d+)(?::\d+)?:\s*(fatal error|error|warning):\s*(.*)$)");
  static const std::regex nvcc(R"(^\S*?\((\d+)\):\s*(error|warning)\s*:?\s*(.*)$)");
  std::vector<Diag> diags;
  std::set<std::string> seen;
  for (const auto& l : Lines(log)) {
    std::smatch m;
    if (!std::regex_match(l, m, gcc) && !std::regex_match(l, m, nvcc)) continue;
    Diag d;
    d.line = std::stoi(m[1]);
    d.error = m[2].str().find("error") != std::string::npos;
    d.text = (d.error ? "error: " : "warning: ") + m[3].str();
    if (!seen.insert(std::to_string(d.line) + d.text).second) continue;
    diags.push_back(d);
  }
  std::stable_partition(diags.begin(), diags.end(), [](const Diag& d) { return d.error; });
  std::vector<std::string> src = Lines(source);
  std::string out;
  for (const Diag& d : diags) {
    std::string block = "line " + std::to_string(d.line) + ": " + d.text + "\n";
    for (int k = d.line - 1; k <= d.line + 1; ++k) {
      if (k < 1 || k > static_cast<int>(src.size())) continue;
      block += (k == d.line ? ">" : " ") + std::to_string(k) + " | " + src[k - 1] + "\n";
    }
    if (out.size() + block.size() > budget) break;
    out += block;
  }
  if (out.empty() && !log.empty()) out = Fit(log, budget);  // unrecognized format: raw head
  return out;
}

std::string MismatchExcerpt(const nlohmann::json& validation, size_t budget) {
  if (!validation.is_array()) return "";
  std::vector<const nlohmann::json*> recs;
  for (const auto& r : validation) recs.push_back(&r);
  auto failing = [](const nlohmann::json& r) {
    auto ok = r.find("ok");
    return ok == r.end() || !ok->is_boolean() || !ok->get<bool>();
  };
  std::stable_partition(recs.begin(), recs.end(), [&](const nlohmann::json* r) { return failing(*r); });
  std::string out;
  for (const nlohmann::json* r : recs) {
    std::ostringstream s;
    s << (failing(*r) ? "FAIL" : "ok");
    for (const char* k : {"shape", "seed", "max_abs_error", "rel_error_norm", "nan_count",
                          "unwritten_count", "input_mutated"})
      if (r->contains(k)) s << " " << k << "=" << (*r)[k].dump();
    s << "\n";
    if (auto w = r->find("worst"); w != r->end() && w->is_array())
      for (const auto& e : *w) s << "  " << (e.contains("what") ? e["what"].get<std::string>() + " " : "") << "at "
                                 << e.value("index", nlohmann::json()).dump() << ": got "
                                 << e.value("got", nlohmann::json()).dump() << ", want "
                                 << e.value("want", nlohmann::json()).dump() << "\n";
    std::string block = s.str();
    if (out.size() + block.size() > budget) break;
    out += block;
  }
  return out;
}

std::string RepairEvidence(const std::string& failure, const std::string& detail,
                           const std::string& log, const std::string& source,
                           const nlohmann::json& evidence, size_t budget) {
  std::string head = "Verdict: " + failure + (detail.empty() ? "" : " (" + detail + ")") + "\n";
  if (head.size() >= budget) return Fit(head, budget);
  size_t rest = budget - head.size();
  std::string cls = failure.substr(0, failure.find('{'));
  std::string body;
  if (cls == "compile_error") {
    body = CompileDiagnosticsExcerpt(log, source, rest);
  } else if (cls == "incorrect") {
    const nlohmann::json* v = nullptr;
    if (evidence.is_object() && evidence.contains("validation")) v = &evidence["validation"];
    body = v ? MismatchExcerpt(*v, rest) : "";
  } else if (cls == "crash" || cls == "timeout") {
    auto lines = Lines(log);
    size_t from = lines.size() > 20 ? lines.size() - 20 : 0;
    for (size_t i = from; i < lines.size(); ++i) body += lines[i] + "\n";
  }
  return Fit(head + body, budget);
}

}  // namespace ksearch::planner
