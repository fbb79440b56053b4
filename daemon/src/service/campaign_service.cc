// CampaignService: lifecycle, recovery from the log, and the read-only queries.
// The attempt pipeline itself is in attempt_flow.cc.
#include "service/campaign_service.h"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cmath>
#include <set>

#include <spdlog/spdlog.h>

#include "ksearch/core/file_text.h"
#include "ksearch/evaluator/task.h"
#include "ksearch/experiment_log/export.h"
#include "ksearch/experiment_log/views.h"
#include "ksearch/planner/novelty.h"
#include "service/campaign_live.h"
#include "service/events.h"

namespace ksearch::daemon {

using nlohmann::json;

namespace {
// Whether `c` is paused with a reason that starts with `prefix` (one of the
// daemon's own pauses, events.h).
bool PausedBy(const CampaignFacts* c, std::string_view prefix) {
  return c != nullptr && c->state == "paused" && c->state_reason.rfind(prefix, 0) == 0;
}
}  // namespace

CampaignService::CampaignService(boost::asio::io_context& io, const DaemonConfig& config,
                                 experiment_log::ExperimentLog& log, workers::WorkerPool& pool,
                                 ProposalEngine& engine, planner::AxisCatalogue catalogue,
                                 Clock& clock, CpuLedger& io_cpu)
    : io_(io),
      config_(config),
      log_(log),
      pool_(pool),
      engine_(engine),
      catalogue_(std::move(catalogue)),
      clock_(clock),
      seed_rng_(std::random_device{}()),
      io_cpu_(io_cpu) {
  metrics_.Describe("ksearch_attempts_total", "counter", "Finished attempts by verdict kind.");
  metrics_.Describe("ksearch_llm_tokens_total", "counter", "LLM tokens by direction.");
  metrics_.Describe("ksearch_llm_cost_usd_total", "counter", "LLM cost in US dollars.");
  metrics_.Describe("ksearch_slot_busy_seconds", "counter",
                    "Seconds each slot spent evaluating, including the run in progress.");
  metrics_.Describe("ksearch_slot_evaluations_total", "counter", "Evaluations each slot finished.");
  metrics_.Describe("ksearch_queue_depth", "gauge", "Work waiting, by queue.");
  metrics_.Describe("ksearch_daemon_io_cpu_seconds_total", "counter",
                    "CPU time of the daemon's io thread by activity (exclusive; 'other' is outside every activity).");
  metrics_.Describe("ksearch_attempts_in_flight", "gauge", "Attempts between start and verdict.");
  metrics_.Describe("ksearch_slot_in_service", "gauge",
                    "1 while a slot takes work; 0 once a failed or drifting canary took it out of service.");
  metrics_.Describe("ksearch_slot_canaries_total", "counter", "Canary runs on each slot.");
  metrics_.Describe("ksearch_slot_canary_time_us", "gauge", "The last canary time on each slot (microseconds).");
  metrics_.Describe("ksearch_log_refused_writes_total", "counter",
                    "Appends the experiment log refused (disk full, read-only file); what they held stays staged "
                    "and is retried every log_retry_s seconds.");
  metrics_.Set("ksearch_log_refused_writes_total", 0);
  metrics_.Describe("ksearch_blob_cache_lookups_total", "counter",
                    "Log blobs (parent sources, specs) asked of the io thread's cache, by result: a miss reads the log.");
}

CampaignService::~CampaignService() { CommitStaged(); }

Status CampaignService::AppendAndObserve(std::vector<Event>& events, const std::vector<Blob>& blobs) {
  CpuScope cpu(io_cpu_, CpuActivity::kLogAppend);
  for (auto& e : events)
    if (e.time_ms == 0) e.time_ms = clock_.UnixMillis();
  const size_t staged = staged_.events.size();
  if (staged > 0) {
    // The staged batches go first, in the same transaction.
    events.insert(events.begin(), std::make_move_iterator(staged_.events.begin()),
                  std::make_move_iterator(staged_.events.end()));
    staged_.events.clear();
  }
  Status s;
  if (staged_.blobs.empty()) {
    s = log_.Append(events, blobs);
  } else {
    std::vector<Blob> all = std::move(staged_.blobs);
    all.insert(all.end(), blobs.begin(), blobs.end());
    s = log_.Append(events, all);
    all.resize(all.size() - blobs.size());
    staged_.blobs = std::move(all);
  }
  if (!s.ok()) {
    // Nothing was appended: the staged batches stay staged (the next append
    // retries them) and their campaigns stop starting attempts meanwhile.
    staged_.events.assign(std::make_move_iterator(events.begin()),
                          std::make_move_iterator(events.begin() + static_cast<std::ptrdiff_t>(staged)));
    events.erase(events.begin(), events.begin() + static_cast<std::ptrdiff_t>(staged));
    PauseStagedCampaigns(s);
    metrics_.Add("ksearch_log_refused_writes_total", 1);
    spdlog::warn("ksearchd.log_refused error=\"{}\" kept_events={} paused_campaigns={} retry_in_s={}", s.ToString(),
                 staged_.events.size(), CampaignsPausedBy(kRefusedWriteReason).size(), config_.log_retry_s);
    ArmLogRetry();
    return s;
  }
  // Built sources may become members, and then parents: kept once the log holds them.
  for (size_t i : staged_.cache_sources) blob_cache_.Put(staged_.blobs[i].sha256, std::move(staged_.blobs[i].content));
  staged_ = {};
  for (size_t i = staged; i < events.size(); ++i) {
    const Event& e = events[i];
    fold_.Observe(e);
    auto it = live_.find(e.campaign_id);
    if (it != live_.end()) it->second->planner->Observe(e);
  }
  return Status::Ok();
}

void CampaignService::Stage(std::vector<Event> events, std::vector<Blob> blobs, bool cache_source) {
  for (auto& e : events) {
    if (e.time_ms == 0) e.time_ms = clock_.UnixMillis();
    fold_.Observe(e);
    auto it = live_.find(e.campaign_id);
    if (it != live_.end()) it->second->planner->Observe(e);
    staged_.events.push_back(std::move(e));
  }
  if (cache_source && !blobs.empty()) staged_.cache_sources.push_back(staged_.blobs.size());
  staged_.blobs.insert(staged_.blobs.end(), std::make_move_iterator(blobs.begin()),
                       std::make_move_iterator(blobs.end()));
}

void CampaignService::Record(std::vector<Event> events, std::vector<Blob> blobs) {
  // The staging mechanism does it all: the commit keeps what the log refuses
  // and pauses its campaigns.
  Stage(std::move(events), std::move(blobs), false);
  CommitStaged();
}

void CampaignService::PauseStagedCampaigns(const Status& refusal) {
  std::set<std::string> campaigns;
  for (const Event& e : staged_.events) campaigns.insert(e.campaign_id);
  for (const std::string& id : campaigns) {
    const CampaignFacts* c = fold_.campaign(id);
    if (c == nullptr || c->state != "running") continue;
    // In memory only (the log refuses writes); its time is when the campaign
    // stopped running, which the resume records as down_since_ms.
    Event paused = StateEvent(id, "paused", std::string(kRefusedWriteReason) + refusal.ToString());
    paused.time_ms = clock_.UnixMillis();
    fold_.Observe(paused);
  }
}

std::vector<std::string> CampaignService::CampaignsPausedBy(std::string_view prefix) const {
  std::vector<std::string> ids;
  for (const auto& [id, facts] : fold_.campaigns())
    if (PausedBy(&facts, prefix)) ids.push_back(id);
  return ids;
}

std::shared_ptr<boost::asio::steady_timer> CampaignService::After(double seconds, std::function<void()> fn) {
  auto timer = std::make_shared<boost::asio::steady_timer>(
      io_, std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(seconds)));
  std::weak_ptr<boost::asio::steady_timer> armed = timer;
  timer->async_wait([armed, fn = std::move(fn)](const boost::system::error_code& ec) {
    if (ec || armed.expired()) return;  // cancelled, or its owner is gone
    fn();
  });
  return timer;
}

void CampaignService::ArmLogRetry() {
  if (config_.log_retry_s <= 0 || shutting_down_ || log_retry_timer_) return;
  log_retry_timer_ = After(config_.log_retry_s, [this] {
    log_retry_timer_.reset();
    RetryRefusedWrites();
  });
}

void CampaignService::RetryRefusedWrites() {
  if (shutting_down_) return;
  std::vector<Event> resumes;
  for (const std::string& id : CampaignsPausedBy(kRefusedWriteReason)) {
    // The log never held the pause: the resume says since when the campaign
    // was not running, so the planner's wall time (from the log) agrees.
    resumes.push_back(StateEvent(id, "running", "log writable again"));
    resumes.back().payload["down_since_ms"] = fold_.campaign(id)->state_since_ms;
  }
  if (!resumes.empty() || !staged_.events.empty()) {
    const size_t resumed = resumes.size(), kept = staged_.events.size();
    // Refused again: AppendAndObserve armed the next retry.
    if (!AppendAndObserve(resumes).ok()) return;
    spdlog::info("ksearchd.log_writable committed_kept_events={} resumed_campaigns={}", kept, resumed);
  }
  boost::asio::post(io_, [this] { Pump(); });
}

void CampaignService::CommitStaged() {
  if (staged_.events.empty()) return;
  std::vector<Event> none;
  (void)AppendAndObserve(none);
}

std::string CampaignService::BlobOrEmpty(const std::string& hash) {
  if (hash.empty()) return "";
  if (const std::string* kept = blob_cache_.Find(hash)) return *kept;
  auto b = log_.GetBlob(hash);
  if (!b.ok()) return "";
  blob_cache_.Put(hash, *b);
  return std::move(*b);
}

void CampaignService::ArmInfraRetry(Live& live) {
  if (config_.infra_retry_s <= 0 || shutting_down_) return;
  const double wait_s =
      std::min(config_.infra_retry_s * std::pow(2.0, std::max(0, live.infra_pauses_in_row - 1)), 1800.0);
  // Owned by the Live: the retry dies with the campaign or the service.
  live.infra_retry_timer = After(wait_s, [this, id = live.id] { ResumeAfterInfraPause(id); });
  spdlog::warn("ksearchd.campaign_infra_pause campaign={} pauses_in_row={} resume_in_s={}", live.id,
               live.infra_pauses_in_row, wait_s);
}

void CampaignService::ResumeAfterInfraPause(const std::string& campaign_id) {
  Live* live = FindLive(campaign_id);
  if (live == nullptr || shutting_down_) return;
  live->infra_retry_timer.reset();
  if (!PausedBy(fold_.campaign(campaign_id), kInfraPauseReason)) return;  // a user acted meanwhile
  std::vector<Event> batch{StateEvent(campaign_id, "running", "retrying after infrastructure errors")};
  if (!AppendAndObserve(batch).ok()) {
    ArmInfraRetry(*live);  // the log refused it: try again later (its own retry commits what was kept)
    return;
  }
  boost::asio::post(io_, [this] { Pump(); });
}

CampaignService::Live* CampaignService::FindLive(const std::string& id) {
  auto it = live_.find(id);
  return it == live_.end() ? nullptr : it->second.get();
}

size_t CampaignService::SlotsFor(Backend b) const {
  size_t n = 0;
  for (const auto& s : pool_.Stats().slots)
    if (s.in_service && s.spec.kind == workers::SlotKindFor(b)) ++n;
  return n;
}

Result<std::unique_ptr<CampaignService::Live>> CampaignService::MakeLive(const std::string& campaign_id,
                                                                         const json& started) {
  auto live = std::make_unique<Live>();
  live->id = campaign_id;
  std::string yaml = BlobOrEmpty(started.value("spec_yaml_blob", std::string()));
  auto spec = planner::ParseCampaignSpec(yaml, "campaign " + campaign_id + " (from the log)");
  if (!spec.ok()) return spec.status();
  live->spec = *spec;
  auto backend = ParseBackend(live->spec.backend);
  if (!backend.ok()) return backend.status();
  live->backend = *backend;
  live->task_dir = started.value("task_dir", std::string());
  live->task_hash = started.value("task_hash", std::string());
  live->seed_source_blob = started.value("seed_source_blob", std::string());
  live->baseline_source_blob = started.value("baseline_source_blob", std::string());
  live->contract = BlobOrEmpty(started.value("contract_blob", std::string()));
  auto restricted = catalogue_.Restrict(live->spec.axes, live->spec.exclude_axes, live->spec.arch);
  if (!restricted.ok()) return restricted.status();
  auto planner = planner::Planner::Create(live->spec, *restricted);
  if (!planner.ok()) return planner.status();
  live->planner = std::move(*planner);
  return live;
}

Status CampaignService::CheckTaskUnchanged(const Live& live) const {
  if (live.task_hash.empty()) return Status::Ok();  // a log from before the hash was recorded
  auto task = evaluator::LoadTask(live.task_dir);
  if (!task.ok()) return task.status();
  return evaluator::CheckTaskHash(*task, live.task_hash);
}

Status CampaignService::Start() { return Recover(); }

Status CampaignService::Recover() {
  CpuScope cpu(io_cpu_, CpuActivity::kCampaignStart);
  auto events = log_.ReadEvents();
  if (!events.ok()) return events.status();
  for (const auto& e : *events) fold_.Observe(e);
  // A campaign that cannot be rebuilt (say axes.yaml lost the axis it is
  // restricted to) must not keep the daemon, and the others, from starting:
  // it is paused with the reason until a start or a resume rebuilds it.
  // A campaign that was running when the previous process stopped gets a
  // campaign_state carrying down_since_ms (its last event): the time the
  // daemon was down is not spent from its wall-time budget (RunningTime).
  std::vector<Event> states;
  for (const auto& [id, facts] : fold_.campaigns()) {
    if (facts.terminal()) continue;
    const bool was_running = facts.state == "running";
    auto down_since = [&facts](Event e) {
      e.payload["down_since_ms"] = facts.last_event_ms;
      return e;
    };
    if (Status s = MakeLiveFromLog(id, *events); !s.ok()) {
      const std::string why = s.ToString();
      spdlog::error("ksearchd.campaign_not_rebuilt campaign={} error=\"{}\"", id, why);
      if (was_running) states.push_back(down_since(StateEvent(id, "paused", std::string(kUnbuiltReason) + why)));
    } else if (was_running) {
      states.push_back(down_since(StateEvent(id, "running", "daemon started")));
    } else if (PausedBy(&facts, kUnbuiltReason)) {
      states.push_back(StateEvent(id, "running", "rebuilt"));
    }
  }
  // Attempts in flight when the previous process died: record them as
  // interrupted (one transaction, which the live planners observe), then
  // queue them for a retry.
  std::vector<Event> interrupted;
  for (const auto& [attempt_id, a] : fold_.attempts()) {
    if (!a.in_flight()) continue;
    interrupted.push_back(InterruptedEvent(a.campaign_id, attempt_id, a.started, "restart",
                                           "the daemon stopped while this attempt was in flight"));
  }
  if (!interrupted.empty()) KS_RETURN_IF_ERROR(AppendAndObserve(interrupted));
  for (auto& [id, live] : live_) ResumeWork(*live);
  if (!states.empty()) KS_RETURN_IF_ERROR(AppendAndObserve(states));
  boost::asio::post(io_, [this] { Pump(); });
  return Status::Ok();
}

Status CampaignService::MakeLiveFromLog(const std::string& id, const std::vector<Event>& events) {
  const CampaignFacts* facts = fold_.campaign(id);
  if (facts == nullptr) return Status::NotFound("no campaign '" + id + "'");
  auto made = MakeLive(id, facts->started);
  if (!made.ok()) return made.status().WithContext("rebuilding campaign " + id);
  // What may have changed since the campaign started (StartCampaign checked
  // both then): an endpoint it names gone from the configuration, or its task
  // folder edited (the log's timings were measured on it; every run checks
  // it too, task_changed). Either leaves it paused as not rebuilt (Recover)
  // until a start or a resume finds it right again.
  if (Status s = CheckProposersKnown((*made)->spec, "campaign " + id + " (from the log)"); !s.ok())
    return s.WithContext("rebuilding campaign " + id);
  if (Status s = CheckTaskUnchanged(**made); !s.ok()) return s.WithContext("rebuilding campaign " + id);
  for (const auto& e : events) (*made)->planner->Observe(e);
  live_[id] = std::move(*made);
  return Status::Ok();
}

void CampaignService::ResumeWork(Live& live) {
  for (const auto& a : fold_.PendingRetries(live.id)) live.retries.push_back(a);
  // Tentative improvements whose re-measurement had not concluded.
  for (const auto& p : fold_.PendingRemeasures(live.id))
    StartRemeasure(live, p.candidate, p.attempt_id, p.source_blob, "");
  // A campaign the previous process paused for infrastructure errors is
  // retried as it would have been (the backoff starts again).
  if (PausedBy(fold_.campaign(live.id), kInfraPauseReason)) {
    live.infra_pauses_in_row = 1;
    ArmInfraRetry(live);
  }
}

Status CampaignService::CheckProposersKnown(const planner::CampaignSpec& spec, const std::string& source_name) const {
  const std::vector<std::string> known = engine_.ProposerNames();
  for (size_t i = 0; i < spec.proposers.size(); ++i) {
    const std::string& name = spec.proposers[i].name;
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    std::string list;
    for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
    return Status::InvalidArgument(source_name + ": proposers[" + std::to_string(i) + "].name: no proposer named '" +
                                   name + "' in the daemon's configuration (configured: " + list + ")");
  }
  return Status::Ok();
}

Result<CampaignService::StartingSeed> CampaignService::ResolveStartFrom(const planner::CampaignSpec& spec,
                                                                        const std::string& backend,
                                                                        const std::string& source_name) {
  const planner::StartFrom& from = spec.start_from;
  auto bad = [&](Status (*make)(std::string), const std::string& key, const std::string& why) {
    return make(source_name + ": start_from." + key + ": " + why);
  };
  const CampaignFacts* other = fold_.campaign(from.campaign);
  if (!other) return bad(&Status::NotFound, "campaign", "no campaign '" + from.campaign + "' in the log");
  const std::string other_task = other->started.value("task", "");
  const std::string other_backend = other->started.value("backend", "");
  // The seed is measured against this task's reference and contract, and
  // built by this backend's compiler: a kernel of another task or backend
  // would only fail (porting CUDA to HIP is a proposer's job, not a seed's).
  if (other_task != spec.task)
    return bad(&Status::InvalidArgument, "campaign",
               "campaign '" + from.campaign + "' ran task '" + other_task + "'; this campaign's task is '" + spec.task + "'");
  if (other_backend != backend)
    return bad(&Status::InvalidArgument, "campaign",
               "campaign '" + from.campaign + "' ran backend " + other_backend + "; this campaign's is " + backend +
                   " (a seed must build with this campaign's compiler)");
  const std::string id = from.candidate.empty() ? other->best_candidate : from.candidate;
  if (id.empty())
    return bad(&Status::FailedPrecondition, "campaign",
               "campaign '" + from.campaign + "' has no best yet (its seed was never measured)");
  const CandidateFacts* member = fold_.candidate(from.campaign, id);
  if (!member)
    return bad(&Status::NotFound, "candidate",
               "campaign '" + from.campaign + "' measured no candidate '" + id + "'");
  auto text = log_.GetBlob(member->source_blob);
  if (!text.ok()) return text.status().WithContext(source_name + ": start_from: reading " + id + "'s source");
  StartingSeed seed;
  seed.source = std::move(*text);
  seed.origin = json{{"campaign", from.campaign},
                     {"candidate", id},
                     {"attempt", member->attempt_id},
                     {"best", id == other->best_candidate},
                     {"arch", other->started.value("arch", "")},
                     {"time_us", member->time_us}};
  return seed;
}

Result<json> CampaignService::StartCampaign(const std::string& spec_yaml, const std::string& source_name) {
  CpuScope cpu(io_cpu_, CpuActivity::kCampaignStart);
  if (shutting_down_) return Status::Unavailable("the daemon is shutting down");
  auto spec = planner::ParseCampaignSpec(spec_yaml, source_name);
  if (!spec.ok()) return spec.status();
  if (fold_.campaign(spec->campaign_id))
    return Status::FailedPrecondition("campaign '" + spec->campaign_id + "' already exists in the log");
  auto backend = ParseBackend(spec->backend);
  if (!backend.ok()) return backend.status().WithContext(source_name + ": backend");
  std::string task_dir = config_.tasks_dir + "/" + spec->task;
  auto task = evaluator::LoadTask(task_dir);
  if (!task.ok()) return task.status();
  std::string backend_name(BackendName(*backend));
  if (!task->HasBackend(backend_name))
    return Status::InvalidArgument(source_name + ": task '" + spec->task + "' has no " + backend_name + " backend");
  if (!pool_.HasSlotFor(*backend))
    return Status::FailedPrecondition("no " + std::string(workers::SlotKindFor(*backend)) +
                                      " slot in service for backend " + backend_name);
  auto restricted = catalogue_.Restrict(spec->axes, spec->exclude_axes, spec->arch);
  if (!restricted.ok()) return restricted.status().WithContext(source_name);
  if (Status s = CheckProposersKnown(*spec, source_name); !s.ok()) return s;
  const auto& files = task->files.at(backend_name);
  // The task's seed file, or the earlier campaign's member start_from names.
  Result<std::string> seed = std::string();
  json started_from;  // null: the task's seed
  if (spec->start_from.empty()) {
    seed = ReadFileText(files.seed);
  } else if (auto from = ResolveStartFrom(*spec, backend_name, source_name); from.ok()) {
    seed = std::move(from->source);
    started_from = std::move(from->origin);
  } else {
    seed = from.status();
  }
  if (!seed.ok()) return seed.status();
  auto baseline = ReadFileText(files.baseline);
  if (!baseline.ok()) return baseline.status();
  auto contract = ReadFileText(task->contract_path);
  auto contract_blob = log_.PutBlob(contract.ok() ? *contract : "");
  if (!contract_blob.ok()) return contract_blob.status();
  auto yaml_blob = log_.PutBlob(spec_yaml);
  auto seed_blob = log_.PutBlob(*seed);
  auto baseline_blob = log_.PutBlob(*baseline);
  if (!yaml_blob.ok()) return yaml_blob.status();
  if (!seed_blob.ok()) return seed_blob.status();
  if (!baseline_blob.ok()) return baseline_blob.status();
  const std::string seed_candidate = "c" + planner::NormalizedSourceHash(*seed).substr(0, 12);
  json config = spec->ToJson();
  config["axes"] = restricted->Names();
  Event e;
  e.campaign_id = spec->campaign_id;
  e.kind = std::string(event_kind::kCampaignStarted);
  e.payload = json{{"task", spec->task},
                   {"task_dir", task->dir},
                   {"task_hash", task->content_hash},
                   {"backend", backend_name},
                   {"arch", spec->arch},
                   {"config", config},
                   {"spec_yaml_blob", *yaml_blob},
                   {"seed_source_blob", *seed_blob},
                   {"seed_candidate", seed_candidate},
                   {"baseline_source_blob", *baseline_blob},
                   {"contract_blob", *contract_blob},
                   {"baseline_name", task->baseline_name}};
  if (!started_from.is_null()) e.payload["started_from"] = started_from;
  auto live = MakeLive(spec->campaign_id, e.payload);
  if (!live.ok()) return live.status();
  std::vector<Event> batch{e};
  live_[spec->campaign_id] = std::move(*live);
  Status s = AppendAndObserve(batch);
  if (!s.ok()) {
    live_.erase(spec->campaign_id);
    return s;
  }
  boost::asio::post(io_, [this] { Pump(); });
  return json{{"campaign", spec->campaign_id}, {"task", spec->task}, {"backend", backend_name},
              {"axes", restricted->Names()}};
}

Status CampaignService::PauseCampaign(const std::string& id) {
  const CampaignFacts* c = fold_.campaign(id);
  if (!c) return Status::NotFound("no campaign '" + id + "'");
  if (c->state != "running") return Status::FailedPrecondition("campaign '" + id + "' is " + c->state);
  std::vector<Event> batch{StateEvent(id, "paused", "requested")};
  return AppendAndObserve(batch);
}

Status CampaignService::ResumeCampaign(const std::string& id) {
  const CampaignFacts* c = fold_.campaign(id);
  if (!c) return Status::NotFound("no campaign '" + id + "'");
  if (c->state != "paused") return Status::FailedPrecondition("campaign '" + id + "' is " + c->state);
  if (FindLive(id) == nullptr) {  // paused, so not ended: the start could not rebuild it; try again now
    auto events = CampaignEvents(id);
    if (!events.ok()) return events.status();
    if (Status s = MakeLiveFromLog(id, *events); !s.ok())
      return Status::FailedPrecondition("campaign '" + id + "' cannot be rebuilt: " + s.ToString());
    ResumeWork(*FindLive(id));
  } else if (Status s = CheckTaskUnchanged(*FindLive(id)); !s.ok()) {
    // Paused after runs ended infra_error{task_changed}: resuming would only
    // end more of them.
    return Status::FailedPrecondition("campaign '" + id + "' cannot resume: " + s.message());
  }
  std::vector<Event> batch{StateEvent(id, "running", "resumed")};
  KS_RETURN_IF_ERROR(AppendAndObserve(batch));
  boost::asio::post(io_, [this] { Pump(); });
  return Status::Ok();
}

Result<json> CampaignService::ExtendCampaign(const std::string& id, const planner::BudgetExtension& add) {
  const CampaignFacts* c = fold_.campaign(id);
  if (!c) return Status::NotFound("no campaign '" + id + "'");
  if (c->state == "stopped")
    return Status::FailedPrecondition("campaign '" + id + "' was stopped (" + c->state_reason +
                                      "); a stopped campaign does not run again: start a new one from its best");
  const bool reopen = c->state == "finished";
  if (reopen && c->state_reason.rfind("budget_", 0) != 0 && c->state_reason != "plateau")
    return Status::FailedPrecondition("campaign '" + id + "' finished: " + c->state_reason +
                                      "; more budget would give it nothing to try");
  // A finished campaign has no live planner after a restart: rebuild it, as
  // a resume does, and drop it again if the extension is refused.
  const bool built_now = FindLive(id) == nullptr;
  if (built_now) {
    auto events = CampaignEvents(id);
    if (!events.ok()) return events.status();
    if (Status s = MakeLiveFromLog(id, *events); !s.ok())
      return Status::FailedPrecondition("campaign '" + id + "' cannot be rebuilt: " + s.ToString());
  } else if (reopen) {
    if (Status s = CheckTaskUnchanged(*FindLive(id)); !s.ok())
      return Status::FailedPrecondition("campaign '" + id + "' cannot run again: " + s.message());
  }
  Live& live = *FindLive(id);
  auto refuse = [&](Status s) {
    if (built_now) live_.erase(id);
    return s;
  };
  auto payload = live.planner->Extension(add, clock_.UnixMillis());
  if (!payload.ok()) return refuse(payload.status());
  std::vector<Event> batch{MakeEvent(id, "", event_kind::kBudgetExtended, *payload)};
  if (reopen) batch.push_back(StateEvent(id, "running", "budget extended"));
  if (Status s = AppendAndObserve(batch); !s.ok()) return refuse(s);
  if (built_now) ResumeWork(live);
  spdlog::info("ksearchd.campaign_extended campaign={} added={} budgets={} plateau_window={} state={}", id,
               (*payload)["added"].dump(), (*payload)["budgets"].dump(), (*payload)["plateau_window"].dump(),
               fold_.campaign(id)->state);
  boost::asio::post(io_, [this] { Pump(); });
  json out = *payload;
  out["campaign"] = id;
  out["state"] = fold_.campaign(id)->state;
  return out;
}

Status CampaignService::StopCampaign(const std::string& id) {
  const CampaignFacts* c = fold_.campaign(id);
  if (!c) return Status::NotFound("no campaign '" + id + "'");
  if (c->terminal()) return Status::FailedPrecondition("campaign '" + id + "' is already " + c->state);
  std::vector<Event> batch{StateEvent(id, "stopped", "requested")};
  KS_RETURN_IF_ERROR(AppendAndObserve(batch));
  // In-flight attempts finish normally; nothing new starts.
  return Status::Ok();
}

void CampaignService::Shutdown(std::chrono::milliseconds grace, std::function<void()> done) {
  shutting_down_ = true;
  if (log_retry_timer_) log_retry_timer_->cancel();
  log_retry_timer_.reset();
  engine_.CancelAll();
  CommitStaged();
  if (Idle()) {
    boost::asio::post(io_, std::move(done));
    return;
  }
  on_idle_ = done;
  auto timer = std::make_shared<boost::asio::steady_timer>(io_, grace);
  timer->async_wait([this, timer](const boost::system::error_code&) {
    if (!on_idle_) return;  // everything finished in time
    std::vector<Event> batch;
    for (auto& [id, live] : live_) {
      for (auto& [attempt_id, a] : live->in_flight) {
        a->finished = true;
        batch.push_back(InterruptedEvent(id, attempt_id, a->started_payload, "shutdown",
                                         "still in flight when the shutdown grace period ended"));
      }
      live->in_flight.clear();
    }
    (void)AppendAndObserve(batch);  // with what is staged; nothing to write is no commit
    auto cb = std::move(on_idle_);
    on_idle_ = nullptr;
    cb();
  });
}

bool CampaignService::Idle() const {
  if (!staged_.events.empty()) return false;
  for (const auto& [id, live] : live_)
    if (!live->in_flight.empty() || live->baseline_in_flight || !live->remeasures.empty()) return false;
  return true;
}

json CampaignService::ListCampaigns() {
  json out = json::array();
  for (const auto& [id, c] : fold_.campaigns()) {
    const Live* live = FindLive(id);
    out.push_back({{"campaign", id},
                   {"task", c.started.value("task", "")},
                   {"backend", c.started.value("backend", "")},
                   {"arch", c.started.value("arch", "")},
                   {"state", c.state},
                   {"attempts", c.attempts_finished},
                   {"in_flight", live ? live->in_flight.size() : 0},
                   {"best_time_us", c.best_time_us},
                   {"seed_time_us", c.seed_time_us},
                   {"cost_usd", c.cost_usd}});
  }
  return out;
}

Result<json> CampaignService::CampaignStatus(const std::string& id) {
  const CampaignFacts* c = fold_.campaign(id);
  if (!c) return Status::NotFound("no campaign '" + id + "'");
  const Live* live = FindLive(id);
  json verdicts = json::object();
  for (const auto& [k, n] : c->verdicts) verdicts[k] = n;
  json out{{"campaign", id},
           {"task", c->started.value("task", "")},
           {"backend", c->started.value("backend", "")},
           {"arch", c->started.value("arch", "")},
           {"state", c->state},
           {"state_reason", c->state_reason},
           {"started_ms", c->started_ms},
           {"attempts_started", c->attempts_started},
           {"attempts_finished", c->attempts_finished},
           {"in_flight", live ? live->in_flight.size() : 0},
           {"verdicts", verdicts},
           {"cost_usd", c->cost_usd},
           {"best_candidate", c->best_candidate},
           {"best_time_us", c->best_time_us},
           {"seed_time_us", c->seed_time_us},
           {"baseline", c->baseline},
           {"baseline_name", c->started.value("baseline_name", "")},
           {"budgets", c->budgets},
           // What the wall-time budget counts: time running (RunningTime).
           {"wall_seconds_used", static_cast<double>(c->running_time.RunningMs(clock_.UnixMillis())) / 1000.0},
           {"plateau_window", c->plateau_window}};
  if (!c->last_extension.is_null()) out["last_extension"] = c->last_extension;
  if (auto from = c->started.find("started_from"); from != c->started.end()) out["started_from"] = *from;
  if (c->best_time_us > 0 && c->seed_time_us > 0)
    out["speedup_vs_seed"] = c->seed_time_us / c->best_time_us;
  if (c->best_time_us > 0 && c->baseline.is_object() && c->baseline.value("time_us", 0.0) > 0)
    out["speedup_vs_baseline"] = c->baseline.value("time_us", 0.0) / c->best_time_us;
  if (live) {
    auto step = live->planner->Next(clock_.UnixMillis());
    out["planner"] = step.decision ? json("proposing")
                                   : json(std::string(planner::StopReasonName(step.reason)));
  }
  return out;
}

Result<json> CampaignService::Attempts(const std::string& id, const AttemptQuery& q) {
  if (!fold_.campaign(id)) return Status::NotFound("no campaign '" + id + "'");
  json rows = json::array();
  int64_t skipped = 0;
  for (const auto& attempt_id : fold_.attempt_order(id)) {
    const AttemptFacts* a = fold_.attempt(attempt_id);
    std::string verdict = a->finished.is_null() ? "" : a->finished.value("verdict", "");
    if (!q.verdict.empty() && verdict.rfind(q.verdict, 0) != 0) continue;
    if (skipped++ < q.offset) continue;
    json row{{"attempt", attempt_id},
             {"parent", a->started.value("parent", "")},
             {"axis", a->started.value("axis", "")},
             {"proposer", a->started.value("proposer", "")},
             {"repair_of", a->started.value("repair_of", "")},
             {"retry_of", a->started.value("retry_of", "")},
             {"started_ms", a->started_ms},
             {"verdict", verdict}};
    if (!a->finished.is_null()) {
      row["detail"] = a->finished.value("detail", "");
      row["candidate"] = a->finished.value("candidate", "");
      row["time_us"] = a->finished.value("time_us", 0.0);
      row["speedup_vs_parent"] = a->finished.value("speedup_vs_parent", 0.0);
    }
    if (!a->remeasured.is_null()) {
      // What measuring the candidate again made of the attempt's gain.
      row["remeasured"] = a->remeasured.value("agrees", false) ? "confirmed" : "not confirmed";
      if (a->remeasured.contains("estimate_us")) row["estimate_us"] = a->remeasured.value("estimate_us", 0.0);
      row["remeasured_detail"] = a->remeasured.value("detail", "");
    }
    rows.push_back(std::move(row));
    if (static_cast<int64_t>(rows.size()) >= q.limit) break;
  }
  return json{{"campaign", id}, {"attempts", rows}};
}

Result<json> CampaignService::Best(const std::string& id) {
  const CampaignFacts* c = fold_.campaign(id);
  if (!c) return Status::NotFound("no campaign '" + id + "'");
  if (c->best_candidate.empty()) return Status::NotFound("campaign '" + id + "' has no confirmed best yet");
  const CandidateFacts* f = fold_.candidate(id, c->best_candidate);
  if (!f) return Status::Internal("best candidate " + c->best_candidate + " has no measurement");
  json packet = json::object();
  std::string ev = BlobOrEmpty(f->evidence_blob);
  if (!ev.empty()) packet = json::parse(ev, nullptr, false);
  return json{{"campaign", id},
              {"candidate", c->best_candidate},
              {"attempt", f->attempt_id},
              {"time_us", c->best_time_us},
              {"seed_time_us", c->seed_time_us},
              {"source", BlobOrEmpty(f->source_blob)},
              {"evidence", packet}};
}

Result<std::vector<Event>> CampaignService::CampaignEvents(const std::string& id) {
  if (!fold_.campaign(id)) return Status::NotFound("no campaign '" + id + "'");
  experiment_log::EventFilter f;
  f.campaign_id = id;
  return log_.ReadEvents(f);
}

Result<json> CampaignService::Frontier(const std::string& id) {
  auto events = CampaignEvents(id);
  if (!events.ok()) return events.status();
  json rows = json::array();
  for (const auto& e : experiment_log::BuildFrontier(*events, id)) rows.push_back(experiment_log::ToJson(e));
  return json{{"campaign", id}, {"frontier", rows}};
}

Result<json> CampaignService::DeadEnds(const DeadEndQuery& q) {
  // The log answers from its indexed dead-end tables, not by replaying events.
  experiment_log::DeadEndFilter f{q.task, q.arch, q.axis, q.failure_class, q.since_ms};
  auto dead_ends = log_.QueryDeadEnds(f);
  if (!dead_ends.ok()) return dead_ends.status();
  json rows = json::array();
  for (const auto& d : *dead_ends) rows.push_back(experiment_log::ToJson(d));
  return json{{"dead_ends", rows}};
}

Result<json> CampaignService::Export(const std::string& id) {
  auto events = CampaignEvents(id);
  if (!events.ok()) return events.status();
  json history = json::array();
  for (const auto& r : experiment_log::BuildHistory(*events)) history.push_back(experiment_log::ToJson(r));
  return json{{"campaign", id},
              {"history", history},
              {"memory", experiment_log::ToJson(experiment_log::BuildMemory(*events))},
              {"frontier_csv", experiment_log::FrontierCsv(experiment_log::BuildFrontier(*events, id))}};
}

json CampaignService::Slots() {
  json rows = json::array();
  for (const auto& s : pool_.Stats().slots)
    rows.push_back({{"slot", s.spec.name},
                    {"kind", s.spec.kind},
                    {"device", s.spec.device},
                    {"label", s.spec.label},
                    {"in_service", s.in_service},
                    {"out_of_service_reason", s.out_of_service_reason},
                    {"busy", s.busy},
                    {"evaluations", s.evaluations},
                    {"canaries", s.canaries},
                    {"last_canary_time_us", s.last_canary_time_us}});
  return json{{"slots", rows}};
}

std::string CampaignService::MetricsText() {
  auto stats = pool_.Stats();
  metrics_.Set("ksearch_queue_depth", static_cast<double>(stats.build_queue), {{"queue", "build"}});
  metrics_.Set("ksearch_queue_depth", static_cast<double>(stats.run_queue_gpu), {{"queue", "gpu"}});
  metrics_.Set("ksearch_queue_depth", static_cast<double>(stats.run_queue_host), {{"queue", "host"}});
  for (const auto& s : stats.slots) {
    const std::map<std::string, std::string> labels{{"slot", s.spec.name}, {"kind", s.spec.kind}};
    metrics_.Set("ksearch_slot_busy_seconds", s.busy_seconds, labels);
    metrics_.Set("ksearch_slot_evaluations_total", static_cast<double>(s.evaluations), labels);
    metrics_.Set("ksearch_slot_in_service", s.in_service ? 1 : 0, labels);
    metrics_.Set("ksearch_slot_canaries_total", static_cast<double>(s.canaries), labels);
    if (s.last_canary_time_us > 0) metrics_.Set("ksearch_slot_canary_time_us", s.last_canary_time_us, labels);
  }
  size_t in_flight = 0;
  for (const auto& [id, live] : live_) in_flight += live->in_flight.size();
  metrics_.Set("ksearch_attempts_in_flight", static_cast<double>(in_flight));
  metrics_.Set("ksearch_blob_cache_lookups_total", static_cast<double>(blob_cache_.hits()), {{"result", "hit"}});
  metrics_.Set("ksearch_blob_cache_lookups_total", static_cast<double>(blob_cache_.misses()), {{"result", "miss"}});
  const CpuLedger::Snapshot cpu = io_cpu_.Take();
  double scoped = 0;
  for (size_t i = 0; i < cpu.seconds.size(); ++i) {
    metrics_.Set("ksearch_daemon_io_cpu_seconds_total", cpu.seconds[i],
                 {{"activity", std::string(CpuActivityName(static_cast<CpuActivity>(i)))}});
    scoped += cpu.seconds[i];
  }
  // The io thread's time outside every scope: the reactor, timers, handoffs.
  metrics_.Set("ksearch_daemon_io_cpu_seconds_total", cpu.thread_seconds - scoped, {{"activity", "other"}});
  for (const auto& fill : metrics_sources_) fill(metrics_);
  return metrics_.RenderPrometheus();
}

}  // namespace ksearch::daemon
