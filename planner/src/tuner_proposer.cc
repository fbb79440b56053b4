#include "ksearch/planner/tuner_proposer.h"

#include <algorithm>
#include <random>
#include <regex>
#include <sstream>

#include "ksearch/planner/novelty.h"

namespace ksearch::planner {

namespace {

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  std::string l;
  std::istringstream in(s);
  while (std::getline(in, l)) out.push_back(l);
  return out;
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// #define NAME VALUE // ksearch:tune {a,b,c}
const std::regex& MarkRe() {
  static const std::regex re(
      R"(^(\s*#\s*define\s+)([A-Za-z_]\w*)(\s+)(\S+)(\s*//\s*ksearch:tune\s*\{([^}]*)\}.*)$)");
  return re;
}

// One step of one tunable: to its neighbouring value `to`.
struct Step {
  size_t t, to;
};

std::vector<Step> NeighbourSteps(const std::vector<Tunable>& tunables) {
  std::vector<Step> steps;
  for (size_t i = 0; i < tunables.size(); ++i) {
    const Tunable& t = tunables[i];
    if (t.current > 0) steps.push_back({i, t.current - 1});
    if (t.current + 1 < t.values.size()) steps.push_back({i, t.current + 1});
  }
  return steps;
}

}  // namespace

Result<std::vector<Tunable>> ParseTunables(const std::string& source) {
  std::vector<Tunable> out;
  auto lines = Lines(source);
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].find("ksearch:tune") == std::string::npos) continue;
    std::smatch m;
    std::string at = "line " + std::to_string(i + 1) + ": ";
    if (!std::regex_match(lines[i], m, MarkRe()))
      return Status::InvalidArgument(at + "ksearch:tune mark is not on a '#define NAME VALUE // "
                                          "ksearch:tune {v1,v2,...}' line");
    Tunable t;
    t.name = m[2];
    t.line = i;
    std::stringstream vs(m[6].str());
    std::string v;
    while (std::getline(vs, v, ',')) {
      v = Trim(v);
      if (v.empty()) return Status::InvalidArgument(at + t.name + ": empty value in the list");
      if (std::count(t.values.begin(), t.values.end(), v))
        return Status::InvalidArgument(at + t.name + ": value " + v + " listed twice");
      t.values.push_back(v);
    }
    if (t.values.size() < 2)
      return Status::InvalidArgument(at + t.name + ": a tunable needs at least two values");
    auto it = std::find(t.values.begin(), t.values.end(), m[4].str());
    if (it == t.values.end())
      return Status::InvalidArgument(at + t.name + ": current value " + m[4].str() +
                                     " is not in {" + m[6].str() + "}");
    t.current = it - t.values.begin();
    for (const auto& o : out)
      if (o.name == t.name) return Status::InvalidArgument(at + t.name + ": marked twice");
    out.push_back(std::move(t));
  }
  return out;
}

std::string WithTunableValue(const std::string& source, const Tunable& t, size_t index) {
  auto lines = Lines(source);
  std::smatch m;
  std::string& l = lines[t.line];
  if (std::regex_match(l, m, MarkRe()))
    l = m[1].str() + m[2].str() + m[3].str() + t.values[index] + m[5].str();
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i)
    out += lines[i] + (i + 1 < lines.size() || (!source.empty() && source.back() == '\n') ? "\n" : "");
  return out;
}

std::vector<std::string> TunerNeighbourHashes(const std::string& source) {
  std::vector<std::string> out;
  if (source.find("ksearch:tune") == std::string::npos) return out;
  auto tunables = ParseTunables(source);
  if (!tunables.ok()) return out;
  for (const Step& s : NeighbourSteps(*tunables))
    out.push_back(NormalizedSourceHash(WithTunableValue(source, (*tunables)[s.t], s.to)));
  return out;
}

void TunerProposer::Propose(ProposalRequest req, ProposalCallback done) {
  Proposal p;
  auto tunables = ParseTunables(req.parent_source);
  if (!tunables.ok()) {
    p.failure = ProposalFailureKind::kPatchFailed;
    p.failure_reason = "tuner: " + tunables.status().message();
    return done(std::move(p));
  }
  if (tunables->empty()) {
    p.failure = ProposalFailureKind::kPatchFailed;
    p.failure_reason = "tuner: the source has no ksearch:tune marks";
    return done(std::move(p));
  }
  std::vector<Step> steps = NeighbourSteps(*tunables);
  std::mt19937_64 gen(req.seed ^ 0x5DEECE66DULL);
  std::shuffle(steps.begin(), steps.end(), gen);
  for (const Step& s : steps) {
    const Tunable& t = (*tunables)[s.t];
    std::string src = WithTunableValue(req.parent_source, t, s.to);
    if (req.known_source_hashes && req.known_source_hashes->count(NormalizedSourceHash(src))) continue;
    p.source = std::move(src);
    p.change_summary = "tune " + t.name + " " + t.values[t.current] + " -> " + t.values[s.to];
    return done(std::move(p));
  }
  p.failure = ProposalFailureKind::kPatchFailed;
  p.failure_reason = "tuner: every neighbouring configuration (" + std::to_string(steps.size()) +
                     ") has been tried";
  done(std::move(p));
}

}  // namespace ksearch::planner
