#include "ksearch/planner/campaign_spec.h"

#include <cctype>

#include "ksearch/core/file_text.h"
#include "yaml_util.h"

namespace ksearch::planner {

using internal::YamlReader;

bool IsValidCampaignId(std::string_view id) {
  if (id.empty() || id.size() > 128 || id.front() == '.') return false;
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
  return true;
}

namespace {

// `text` starts with `prefix` and the rest is at least one character, each
// passing `ok`.
template <typename Pred>
bool PrefixThen(std::string_view text, std::string_view prefix, Pred ok) {
  if (text.size() <= prefix.size() || text.substr(0, prefix.size()) != prefix) return false;
  for (char c : text.substr(prefix.size()))
    if (!ok(static_cast<unsigned char>(c))) return false;
  return true;
}

bool IsCudaArch(std::string_view arch) {
  if (!arch.empty() && (arch.back() == 'a' || arch.back() == 'f')) arch.remove_suffix(1);
  return PrefixThen(arch, "sm_", [](unsigned char c) { return std::isdigit(c) != 0; });
}

bool IsLowerHexDigit(unsigned char c) { return std::isdigit(c) || (c >= 'a' && c <= 'f'); }

bool IsHipArch(std::string_view arch) { return PrefixThen(arch, "gfx", IsLowerHexDigit); }

// "c" and the first 12 hex digits of the normalized source's hash.
bool IsCandidateId(std::string_view id) { return id.size() == 13 && PrefixThen(id, "c", IsLowerHexDigit); }

bool LooksLikeGpuArch(std::string_view arch) {
  return arch.rfind("sm_", 0) == 0 || arch.rfind("compute_", 0) == 0 || arch.rfind("gfx", 0) == 0;
}

}  // namespace

std::string ArchMismatch(std::string_view backend, std::string_view arch) {
  const std::string quoted = "'" + std::string(arch) + "'";
  if (backend == "cuda" && !IsCudaArch(arch))
    return quoted + " is not a CUDA arch for backend cuda (sm_<number>, optionally a or f: sm_80, sm_90a)";
  if (backend == "hip" && !IsHipArch(arch))
    return quoted + " is not an AMD GPU arch for backend hip (gfx<number>: gfx90a, gfx942)";
  if (backend == "host") {
    if (LooksLikeGpuArch(arch))
      return quoted + " is a GPU arch; backend host runs on the CPU (arch: x86_64 or aarch64)";
    for (char c : arch)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'))
        return quoted + " has a character other than letters, digits, '_' and '-'";
  }
  return "";
}

Status CampaignSpec::Validate() const {
  auto bad = [](const std::string& key, const std::string& why) {
    return Status::InvalidArgument(key + ": " + why);
  };
  if (campaign_id.empty()) return bad("campaign_id", "must not be empty");
  const std::string grammar = "1-128 characters of letters, digits, '.', '_' and '-', not starting with '.'";
  if (!IsValidCampaignId(campaign_id)) return bad("campaign_id", "'" + campaign_id + "' must be " + grammar);
  if (task.empty()) return bad("task", "must not be empty");
  // A folder of tasks_dir, by name: "../../x" or "/abs" would load a task
  // from anywhere (and file its dead ends under that name). Same grammar as ids.
  if (!IsValidCampaignId(task)) return bad("task", "'" + task + "' must name a folder of tasks_dir: " + grammar);
  if (backend != "host" && backend != "cuda" && backend != "hip")
    return bad("backend", "must be host, cuda or hip, got '" + backend + "'");
  if (arch.empty()) return bad("arch", "must not be empty");
  if (std::string why = ArchMismatch(backend, arch); !why.empty()) return bad("arch", why);
  if (islands < 1 || islands > 64) return bad("islands", "must be in [1, 64]");
  if (elites_per_island < 1 || elites_per_island > 64)
    return bad("elites_per_island", "must be in [1, 64]");
  if (migration_interval < 0) return bad("migration_interval", "must be >= 0");
  if (selection.exploit < 0 || selection.explore < 0 || selection.frontier < 0 ||
      selection.exploit + selection.explore + selection.frontier <= 0)
    return bad("selection", "shares must be >= 0 and not all zero");
  if (budgets.wall_seconds < 0) return bad("budgets.wall_seconds", "must be >= 0");
  if (budgets.attempts < 0) return bad("budgets.attempts", "must be >= 0");
  if (budgets.money_usd < 0) return bad("budgets.money_usd", "must be >= 0");
  if (plateau.window < 0) return bad("plateau.window", "must be >= 0");
  if (noise_threshold < 0 || noise_threshold >= 0.5)
    return bad("noise_threshold", "must be in [0, 0.5)");
  if (proposers.empty()) return bad("proposers", "at least one proposer is required");
  for (size_t i = 0; i < proposers.size(); ++i) {
    const auto& p = proposers[i];
    std::string key = "proposers[" + std::to_string(i) + "]";
    if (p.name.empty()) return bad(key + ".name", "must not be empty");
    if (!(p.weight > 0)) return bad(key + ".weight", "must be > 0");
    for (size_t j = 0; j < i; ++j)
      if (proposers[j].name == p.name) return bad(key + ".name", "duplicate '" + p.name + "'");
  }
  if (repair.max_per_lineage < 0) return bad("repair.max_per_lineage", "must be >= 0");
  if (repair.min_success_rate < 0 || repair.min_success_rate > 1)
    return bad("repair.min_success_rate", "must be in [0, 1]");
  if (!start_from.empty()) {
    if (!IsValidCampaignId(start_from.campaign))
      return bad("start_from.campaign", "'" + start_from.campaign + "' must be a campaign id: " + grammar);
    if (start_from.campaign == campaign_id) return bad("start_from.campaign", "a campaign cannot start from itself");
  }
  if (!start_from.candidate.empty()) {
    if (start_from.empty()) return bad("start_from.candidate", "needs start_from.campaign");
    if (!IsCandidateId(start_from.candidate))
      return bad("start_from.candidate", "'" + start_from.candidate +
                                             "' is not a candidate id ('c' and 12 lowercase hex digits, as `ksearch attempts` prints)");
  }
  return Status::Ok();
}

nlohmann::json Budgets::ToJson() const {
  return {{"wall_seconds", wall_seconds}, {"attempts", attempts}, {"money_usd", money_usd}};
}

nlohmann::json CampaignSpec::ToJson() const {
  nlohmann::json props = nlohmann::json::array();
  for (const auto& p : proposers) props.push_back({{"name", p.name}, {"weight", p.weight}});
  nlohmann::json j = {{"campaign_id", campaign_id}, {"task", task}, {"backend", backend}, {"arch", arch},
          {"axes", axes}, {"exclude_axes", exclude_axes}, {"islands", islands},
          {"elites_per_island", elites_per_island}, {"migration_interval", migration_interval},
          {"selection", {{"exploit", selection.exploit}, {"explore", selection.explore},
                         {"frontier", selection.frontier}}},
          {"budgets", budgets.ToJson()},
          {"plateau", {{"window", plateau.window}}}, {"noise_threshold", noise_threshold},
          {"proposers", props},
          {"repair", {{"max_per_lineage", repair.max_per_lineage},
                      {"min_success_rate", repair.min_success_rate}}},
          {"seed", seed}};
  // Only when set: a spec without it serializes as it did before the key existed.
  if (!start_from.empty()) j["start_from"] = {{"campaign", start_from.campaign}, {"candidate", start_from.candidate}};
  return j;
}

namespace {

Status ParseInto(const YAML::Node& root, const YamlReader& r, CampaignSpec* s) {
  KS_RETURN_IF_ERROR(r.CheckKeys(root, "", {"campaign_id", "task", "backend", "arch", "axes",
                                            "exclude_axes", "islands", "elites_per_island",
                                            "migration_interval", "selection", "budgets",
                                            "plateau", "noise_threshold", "proposers",
                                            "repair", "seed", "start_from"}));
  KS_RETURN_IF_ERROR(r.GetString(root, "", "campaign_id", &s->campaign_id, true));
  KS_RETURN_IF_ERROR(r.GetString(root, "", "task", &s->task, true));
  KS_RETURN_IF_ERROR(r.GetString(root, "", "backend", &s->backend, true));
  KS_RETURN_IF_ERROR(r.GetString(root, "", "arch", &s->arch, true));
  KS_RETURN_IF_ERROR(r.GetStringList(root, "", "axes", &s->axes));
  KS_RETURN_IF_ERROR(r.GetStringList(root, "", "exclude_axes", &s->exclude_axes));
  int64_t v = s->islands;
  KS_RETURN_IF_ERROR(r.GetInt(root, "", "islands", &v));
  s->islands = static_cast<int>(v);
  v = s->elites_per_island;
  KS_RETURN_IF_ERROR(r.GetInt(root, "", "elites_per_island", &v));
  s->elites_per_island = static_cast<int>(v);
  v = s->migration_interval;
  KS_RETURN_IF_ERROR(r.GetInt(root, "", "migration_interval", &v));
  s->migration_interval = static_cast<int>(v);
  KS_RETURN_IF_ERROR(r.GetDouble(root, "", "noise_threshold", &s->noise_threshold));
  v = static_cast<int64_t>(s->seed);
  KS_RETURN_IF_ERROR(r.GetInt(root, "", "seed", &v));
  s->seed = static_cast<uint64_t>(v);

  if (YAML::Node sel = root["selection"]; sel.IsDefined()) {
    KS_RETURN_IF_ERROR(r.CheckKeys(sel, "selection", {"exploit", "explore", "frontier"}));
    KS_RETURN_IF_ERROR(r.GetDouble(sel, "selection", "exploit", &s->selection.exploit));
    KS_RETURN_IF_ERROR(r.GetDouble(sel, "selection", "explore", &s->selection.explore));
    KS_RETURN_IF_ERROR(r.GetDouble(sel, "selection", "frontier", &s->selection.frontier));
  }
  if (YAML::Node b = root["budgets"]; b.IsDefined()) {
    KS_RETURN_IF_ERROR(r.CheckKeys(b, "budgets", {"wall_seconds", "attempts", "money_usd"}));
    KS_RETURN_IF_ERROR(r.GetDouble(b, "budgets", "wall_seconds", &s->budgets.wall_seconds));
    KS_RETURN_IF_ERROR(r.GetInt(b, "budgets", "attempts", &s->budgets.attempts));
    KS_RETURN_IF_ERROR(r.GetDouble(b, "budgets", "money_usd", &s->budgets.money_usd));
  }
  if (YAML::Node p = root["plateau"]; p.IsDefined()) {
    KS_RETURN_IF_ERROR(r.CheckKeys(p, "plateau", {"window"}));
    v = s->plateau.window;
    KS_RETURN_IF_ERROR(r.GetInt(p, "plateau", "window", &v));
    s->plateau.window = static_cast<int>(v);
  }
  if (YAML::Node rp = root["repair"]; rp.IsDefined()) {
    KS_RETURN_IF_ERROR(r.CheckKeys(rp, "repair", {"max_per_lineage", "min_success_rate"}));
    v = s->repair.max_per_lineage;
    KS_RETURN_IF_ERROR(r.GetInt(rp, "repair", "max_per_lineage", &v));
    s->repair.max_per_lineage = static_cast<int>(v);
    KS_RETURN_IF_ERROR(r.GetDouble(rp, "repair", "min_success_rate", &s->repair.min_success_rate));
  }
  if (YAML::Node sf = root["start_from"]; sf.IsDefined()) {
    if (sf.IsScalar()) {
      s->start_from.campaign = sf.Scalar();
    } else if (sf.IsMap()) {
      KS_RETURN_IF_ERROR(r.CheckKeys(sf, "start_from", {"campaign", "candidate"}));
      KS_RETURN_IF_ERROR(r.GetString(sf, "start_from", "campaign", &s->start_from.campaign, true));
      KS_RETURN_IF_ERROR(r.GetString(sf, "start_from", "candidate", &s->start_from.candidate, false));
    } else {
      return r.Error(sf, "start_from", "expected a campaign id or {campaign: ID, candidate: cHEX}");
    }
  }
  if (YAML::Node ps = root["proposers"]; ps.IsDefined()) {
    if (!ps.IsSequence()) return r.Error(ps, "proposers", "expected a list");
    for (size_t i = 0; i < ps.size(); ++i) {
      std::string path = "proposers[" + std::to_string(i) + "]";
      ProposerSpec p;
      if (ps[i].IsScalar()) {
        p.name = ps[i].Scalar();
      } else {
        KS_RETURN_IF_ERROR(r.CheckKeys(ps[i], path, {"name", "weight"}));
        KS_RETURN_IF_ERROR(r.GetString(ps[i], path, "name", &p.name, true));
        KS_RETURN_IF_ERROR(r.GetDouble(ps[i], path, "weight", &p.weight));
      }
      s->proposers.push_back(p);
    }
  }
  Status st = s->Validate();
  if (!st.ok()) {
    // Re-attach a line: find the top-level key the message starts with.
    std::string msg = st.message();
    std::string key = msg.substr(0, msg.find_first_of(".[:"));
    YAML::Node at = root[key];
    return r.Error(at.IsDefined() ? at : root, msg.substr(0, msg.find(": ")),
                   msg.substr(msg.find(": ") + 2));
  }
  return Status::Ok();
}

}  // namespace

Result<CampaignSpec> ParseCampaignSpec(const std::string& yaml_text,
                                       const std::string& source_name) {
  YamlReader r(source_name);
  CampaignSpec spec;
  try {
    YAML::Node root = YAML::Load(yaml_text);
    Status st = ParseInto(root, r, &spec);
    if (!st.ok()) return st;
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(source_name + ":" + std::to_string(e.mark.line + 1) +
                                   ": <yaml>: " + e.msg);
  }
  return spec;
}

Result<CampaignSpec> LoadCampaignSpec(const std::string& path) {
  auto text = ReadFileText(path, "the campaign file");
  if (!text.ok()) return text.status();
  return ParseCampaignSpec(*text, path);
}

}  // namespace ksearch::planner
