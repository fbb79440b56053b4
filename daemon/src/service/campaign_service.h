// CampaignService: runs every campaign of the deployment.
//
// The service owns nothing but derived state: the log is the truth, and on
// Start() every campaign is rebuilt from it (the planner and LogFold replay the
// events); attempts found in flight are recorded as `interrupted` and retried.
//
// The pipeline of one attempt (DESIGN.md section 3), each arrow an event:
//   Next() ─► attempt_started ─► propose ─► dedupe (source, semantic)
//     ─► build (compile pool) ─► dedupe (machine code) ─► run (device slot)
//     ─► judge vs parent ─► attempt_finished
//   then, for a tentative improvement: re-measure (fresh seeds) until the
//   planner's test is conclusive ─► remeasured ... [─► best_promoted]
// Every failure ends the attempt with a typed verdict; the last batch of an
// attempt is one transaction, so a crash leaves it whole or in flight.
//
// Flow control: per campaign, attempts in flight <= slots of its kind x
// proposals_per_slot, so proposals run ahead of the devices without queueing
// for hours; campaigns sharing a kind of slot are pumped round-robin.
//
// Threading: every method runs on the io thread; workers post back to it.
// Ownership: io, log, pool and engine must outlive the service.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>

#include "api/control_plane.h"
#include "api/metrics.h"
#include "service/cpu_ledger.h"
#include "config/daemon_config.h"
#include "ksearch/core/clock.h"
#include "ksearch/experiment_log/experiment_log.h"
#include "ksearch/planner/axis_catalogue.h"
#include "ksearch/planner/planner.h"
#include "ksearch/workers/worker_pool.h"
#include "service/blob_cache.h"
#include "service/log_fold.h"
#include "service/proposal_engine.h"

#include <boost/asio/steady_timer.hpp>

namespace ksearch::daemon {

class CampaignService final : public ControlPlane {
 public:
  CampaignService(boost::asio::io_context& io, const DaemonConfig& config,
                  experiment_log::ExperimentLog& log, workers::WorkerPool& pool,
                  ProposalEngine& engine, planner::AxisCatalogue catalogue, Clock& clock, CpuLedger& io_cpu);
  ~CampaignService() override;

  // Replays the log, marks in-flight attempts interrupted, resumes running campaigns.
  Status Start();
  // Stops proposing; calls `done` once every in-flight attempt has finished or,
  // after `grace`, been recorded as interrupted.
  void Shutdown(std::chrono::milliseconds grace, std::function<void()> done);
  bool Idle() const;  // nothing in flight in any campaign, nothing staged

  // ControlPlane
  Result<nlohmann::json> StartCampaign(const std::string& spec_yaml, const std::string& source_name) override;
  Status PauseCampaign(const std::string& id) override;
  Status ResumeCampaign(const std::string& id) override;
  Status StopCampaign(const std::string& id) override;
  Result<nlohmann::json> ExtendCampaign(const std::string& id, const planner::BudgetExtension& add) override;
  nlohmann::json ListCampaigns() override;
  Result<nlohmann::json> CampaignStatus(const std::string& id) override;
  Result<nlohmann::json> Attempts(const std::string& id, const AttemptQuery& q) override;
  Result<nlohmann::json> Best(const std::string& id) override;
  Result<nlohmann::json> Frontier(const std::string& id) override;
  Result<nlohmann::json> DeadEnds(const DeadEndQuery& q) override;
  Result<nlohmann::json> Export(const std::string& id) override;
  std::string MetricsText() override;
  nlohmann::json Slots() override;

  Metrics& metrics() { return metrics_; }
  // The io thread's CPU by activity (owned by the caller, who may charge its
  // own io-thread work to it); the API server opens its kHttp scopes on it.
  CpuLedger& io_cpu() { return io_cpu_; }
  // `fill` runs on the io thread before each /metrics render, to set series
  // the service does not own (the prompt-context memo's counts).
  void AddMetricsSource(std::function<void(Metrics&)> fill) { metrics_sources_.push_back(std::move(fill)); }

 private:
  struct Live;      // per-campaign runtime (planner, in-flight set)
  struct Attempt;   // one attempt moving through the pipeline

  // Every proposer the spec names is one the engine serves; InvalidArgument
  // naming the field otherwise.
  Status CheckProposersKnown(const planner::CampaignSpec& spec, const std::string& source_name) const;
  // The seed a spec's start_from names: the source text, and the payload's
  // `started_from` (where it came from and how fast it was there).
  struct StartingSeed {
    std::string source;
    nlohmann::json origin;
  };
  Result<StartingSeed> ResolveStartFrom(const planner::CampaignSpec& spec, const std::string& backend,
                                        const std::string& source_name);
  // The campaign's task folder still hashes to campaign_started's task_hash;
  // FailedPrecondition saying so otherwise.
  Status CheckTaskUnchanged(const Live& live) const;

  using Blob = experiment_log::ExperimentLog::Blob;
  // Appends what is staged, then events and `blobs`, in one transaction, and
  // folds `events` into LogFold and the planner (the staged ones already are).
  // On failure nothing is appended and the staged batches stay staged.
  Status AppendAndObserve(std::vector<Event>& events, const std::vector<Blob>& blobs = {});
  // Events that end an attempt (its last batch; the seed's best_promoted),
  // folded into LogFold and the planner now and appended with the next
  // AppendAndObserve: the Pump that Finish posts starts the attempt that takes
  // the finished one's place, and its attempt_started joins the same
  // transaction (one commit less per attempt). The caller posts that Pump.
  // `cache_source`: blobs[0] is a source to keep in blob_cache_ once the log
  // holds it.
  void Stage(std::vector<Event> events, std::vector<Blob> blobs, bool cache_source);
  // Events that must reach the log even when it refuses them now (an LLM
  // call's record and its cost, re-measurements, a promotion, the baseline):
  // staged (folded in now) and committed at once with what was staged before;
  // what the log refuses stays staged, its campaigns paused, and the next
  // append retries it. So the state the io thread acts on is always the log's
  // future content, never something the log dropped.
  void Record(std::vector<Event> events, std::vector<Blob> blobs = {});
  // Appends whatever is still staged, alone. Called where the io thread's work
  // for a finished attempt ends (the end of Pump), before the service reports
  // itself idle, and at shutdown.
  void CommitStaged();
  // After the log refused a transaction: each campaign with an event staged
  // stops starting attempts (an in-memory campaign_state, not logged).
  void PauseStagedCampaigns(const Status& refusal);
  // After any refused append: RetryRefusedWrites in config_.log_retry_s
  // seconds (once; a refused retry arms the next). Not with log_retry_s 0 or
  // while shutting down.
  void ArmLogRetry();
  // The campaigns LogFold has paused with a reason starting with `prefix`.
  // (A campaign a refusal paused is found this way; a user's pause has
  // another reason and is never resumed by the retry.)
  std::vector<std::string> CampaignsPausedBy(std::string_view prefix) const;
  // Runs `fn` on the io thread after `seconds`, unless the returned timer is
  // destroyed (or cancelled) first: its owner holds it, and a handler that
  // outlives it does nothing.
  std::shared_ptr<boost::asio::steady_timer> After(double seconds, std::function<void()> fn);
  // Appends what is staged with a campaign_state{running, "log writable
  // again"} for each campaign a refusal paused and nobody resumed since, then
  // pumps (a start the log refused with nothing staged is tried again there).
  void RetryRefusedWrites();
  // After an infrastructure pause (Finish, DaemonConfig::infra_pause_after):
  // ResumeAfterInfraPause in infra_retry_s x 2^(pauses in a row - 1) seconds,
  // at most 30 minutes. Not with infra_retry_s 0 or while shutting down.
  void ArmInfraRetry(Live& live);
  // Resumes a campaign still paused by its infrastructure pause (not if a
  // user resumed, paused or stopped it since): one more attempt tells whether
  // the machine works again.
  void ResumeAfterInfraPause(const std::string& campaign_id);
  void Pump();
  void PumpCampaigns();
  bool PumpCampaign(Live& live);  // starts at most one attempt; true if it did
  bool GlobalRoomForAttempt() const;  // max_attempts_in_flight not reached
  size_t InFlightOn(Backend backend) const;  // attempts in flight, all campaigns
  Result<std::vector<Event>> CampaignEvents(const std::string& id);  // NotFound for an unknown id
  void StartAttempt(Live& live, const planner::Decision& d, const std::string& retry_of);
  void OnProposal(std::shared_ptr<Attempt> a, ProposalOutput out);
  void SubmitBuild(std::shared_ptr<Attempt> a);
  void OnBuilt(std::shared_ptr<Attempt> a, BuildResult built);
  void SubmitRun(std::shared_ptr<Attempt> a);
  void OnRun(std::shared_ptr<Attempt> a, RunResult run);
  void Finish(std::shared_ptr<Attempt> a, Verdict verdict);
  struct Remeasure;  // re-measurements of a tentative improvement (after its attempt ended)
  void StartRemeasure(Live& live, const std::string& candidate, const std::string& attempt_id,
                      const std::string& source_blob, const std::string& artifact);
  void RunRemeasure(const std::string& campaign_id, std::shared_ptr<Remeasure> job);
  void RecordRemeasure(Live& live, std::shared_ptr<Remeasure> job, RunResult run);
  // One sample of job->reference (rebuilt from its source: a cache hit in the
  // evaluator), then RecordReferenceSample, then the candidate's next sample.
  void RunReferenceSample(const std::string& campaign_id, std::shared_ptr<Remeasure> job);
  void RecordReferenceSample(Live& live, std::shared_ptr<Remeasure> job, RunResult run);
  void ContinueRemeasure(Live& live, std::shared_ptr<Remeasure> job, bool again);
  void NotifyIfIdle();
  void MeasureBaseline(Live& live);
  void MaybeFinishCampaign(Live& live, const planner::NextStep& step);
  Status Recover();
  // Makes a campaign live from the log: a Live whose planner replays `events`
  // (every campaign's, or only its own). An error leaves it out of live_.
  Status MakeLiveFromLog(const std::string& campaign_id, const std::vector<Event>& events);
  // A live campaign's work left from the previous process: its interrupted
  // attempts queued for a retry, its unfinished re-measurements restarted, an
  // infrastructure pause's retry armed.
  void ResumeWork(Live& live);
  Result<std::unique_ptr<Live>> MakeLive(const std::string& campaign_id, const nlohmann::json& started);
  std::string NextAttemptId(const std::string& campaign_id) const;
  BuildRequest MakeBuildRequest(const Live& live, std::string source) const;
  // Draws a fresh input seed; `work_leaf` names the folder under the campaign's work dir.
  RunRequest MakeRunRequest(const Live& live, const std::string& artifact, const std::string& work_leaf,
                            bool profile);
  // A blob of the log, "" when the hash is empty or the log has none; served
  // from blob_cache_ when it holds the hash.
  std::string BlobOrEmpty(const std::string& hash);
  Live* FindLive(const std::string& id);
  size_t SlotsFor(Backend b) const;
  void RecordVerdictMetric(const Verdict& v);

  boost::asio::io_context& io_;
  const DaemonConfig config_;
  experiment_log::ExperimentLog& log_;
  workers::WorkerPool& pool_;
  ProposalEngine& engine_;
  const planner::AxisCatalogue catalogue_;
  Clock& clock_;

  // Only touched on the io thread.
  LogFold fold_;
  // Recent sources (written by Finish, read as parents by StartAttempt) and
  // other blobs read through BlobOrEmpty.
  BlobCache blob_cache_{8u << 20};
  std::map<std::string, std::unique_ptr<Live>> live_;
  // Stage()'s batches in order: observed, not yet in the log. Committed at the
  // latest by the Pump that Stage's caller posts (CommitStaged ends every
  // Pump); a handler that runs in between and appends takes them first, so
  // the log's order is the order of observation, and one that reads the log
  // does not see them yet (LogFold and the metrics already do). If the log refuses them they stay here, their
  // campaigns are paused, and the next append retries them. A SIGKILL before
  // the commit leaves those attempts in flight in the log: interrupted and
  // retried at the next start, as any attempt the log holds no end for.
  struct Staged {
    std::vector<Event> events;
    std::vector<Blob> blobs;
    std::vector<size_t> cache_sources;  // indices into blobs to keep in blob_cache_ after the commit
  };
  Staged staged_;
  // The pending retry of ArmLogRetry; its handler holds a weak_ptr, so one
  // that outlives the service (already queued when it is destroyed) does nothing.
  std::shared_ptr<boost::asio::steady_timer> log_retry_timer_;
  size_t pump_turn_ = 0;  // which campaign heads the next Pump round
  bool shutting_down_ = false;
  std::function<void()> on_idle_;
  std::mt19937_64 seed_rng_;
  Metrics metrics_;
  std::vector<std::function<void(Metrics&)>> metrics_sources_;
  CpuLedger& io_cpu_;
};

}  // namespace ksearch::daemon
