// ControlPlane: what the HTTP API can ask of the daemon. CampaignService
// implements it; the routes know nothing else.
// Threading: called on the daemon's io thread only.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "ksearch/core/status.h"
#include "ksearch/planner/campaign_spec.h"

namespace ksearch::daemon {

struct AttemptQuery {
  int64_t limit = 100;
  int64_t offset = 0;
  std::string verdict;  // prefix match on the wire form, "" for all
};

struct DeadEndQuery {
  std::string task, arch, axis, failure_class;
  int64_t since_ms = 0;
};

class ControlPlane {
 public:
  virtual ~ControlPlane() = default;
  // `spec_yaml` is the campaign file's text; `source_name` names it in errors.
  virtual Result<nlohmann::json> StartCampaign(const std::string& spec_yaml,
                                               const std::string& source_name) = 0;
  virtual Status PauseCampaign(const std::string& id) = 0;
  virtual Status ResumeCampaign(const std::string& id) = 0;
  virtual Status StopCampaign(const std::string& id) = 0;
  // More budget for a running, paused or finished-by-budget/plateau
  // campaign; a finished one runs again. Answers the new limits.
  virtual Result<nlohmann::json> ExtendCampaign(const std::string& id, const planner::BudgetExtension& add) = 0;
  virtual nlohmann::json ListCampaigns() = 0;
  virtual Result<nlohmann::json> CampaignStatus(const std::string& id) = 0;
  virtual Result<nlohmann::json> Attempts(const std::string& id, const AttemptQuery& q) = 0;
  virtual Result<nlohmann::json> Best(const std::string& id) = 0;
  virtual Result<nlohmann::json> Frontier(const std::string& id) = 0;
  virtual Result<nlohmann::json> DeadEnds(const DeadEndQuery& q) = 0;
  virtual Result<nlohmann::json> Export(const std::string& id) = 0;
  virtual std::string MetricsText() = 0;
  // Evaluation slots: in service or not (and why), canary counts and times.
  virtual nlohmann::json Slots() { return nlohmann::json{{"slots", nlohmann::json::array()}}; }
};

}  // namespace ksearch::daemon
