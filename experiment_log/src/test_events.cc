#include "test_events.h"

#include <stdlib.h>

#include <filesystem>

namespace ksearch::experiment_log::testing {

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "ksearch-log-XXXXXX").string();
  char* p = mkdtemp(tmpl.data());
  path_ = p ? std::string(p) : std::string();
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

Event CampaignStarted(const std::string& campaign, const std::string& task, const std::string& arch,
                      const std::vector<std::string>& axes, const std::string& seed) {
  Event e;
  e.campaign_id = campaign;
  e.kind = "campaign_started";
  e.payload = {{"task", task},
               {"task_dir", "tasks/" + task},
               {"backend", "cuda"},
               {"arch", arch},
               {"config", {{"axes", axes}}},
               {"seed_candidate", seed},
               {"seed_source_blob", ""}};
  return e;
}

std::vector<Event> AttemptEvents(const std::string& campaign, const AttemptSpec& a) {
  std::vector<Event> out;
  auto make = [&](const char* kind, nlohmann::json payload) {
    Event e;
    e.campaign_id = campaign;
    e.attempt_id = a.attempt;
    e.kind = kind;
    e.time_ms = a.time_ms;
    e.payload = std::move(payload);
    out.push_back(std::move(e));
  };
  make("attempt_started", {{"parent", a.parent}, {"axis", a.axis}, {"proposer", "test"},
                           {"island", 0}, {"repair_of", ""}, {"retry_of", ""}});
  for (int i = 0; i < a.stages; ++i)
    make("attempt_stage", {{"stage", i == 0 ? "proposal" : "compile"}, {"ok", true},
                           {"seconds", 0.5 * (i + 1)}, {"detail", "stage " + std::to_string(i)}});
  if (!a.verdict.empty())
    make("attempt_finished", {{"verdict", a.verdict}, {"detail", a.detail}, {"candidate", a.candidate},
                              {"parent", a.parent}, {"axis", a.axis}, {"proposer", "test"},
                              {"island", 0}, {"repair_of", ""}, {"time_us", a.time_us},
                              {"spread", 0.01}, {"speedup_vs_parent", a.speedup},
                              {"speedup_vs_seed", a.speedup}, {"cost_usd", 0.0},
                              {"change_summary", a.axis + " change"}});
  return out;
}

}  // namespace ksearch::experiment_log::testing
