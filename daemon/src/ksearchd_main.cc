// ksearchd: the long-running campaign daemon (DESIGN.md section 9).
//
//   ksearchd [--config configs/daemon.yaml] [--port-file PATH]
//
// Start-up: configuration, log, devices, worker pool, LLM clients, ISA corpus,
// campaigns rebuilt from the log, then the control API. SIGTERM/SIGINT: stop
// proposing, let in-flight attempts finish within shutdown_grace_s, record the
// rest as interrupted, kill remaining evaluation processes, exit 0. SIGHUP:
// logged and ignored (closing the terminal that started it does not stop it).
#include <algorithm>
#include <sys/resource.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <thread>

#include "api/auth.h"
#include "api/http_server.h"
#include "api/routes.h"
#include "config/daemon_config.h"
#include "ksearch/core/clock.h"
#include "ksearch/core/file_text.h"
#include "ksearch/evaluator/task.h"
#include "ksearch/experiment_log/experiment_log.h"
#include "ksearch/isa_corpus/corpus.h"
#include "ksearch/llm_clients/cassette.h"
#include "ksearch/skills/router.h"
#include "ksearch/skills/skill_tree.h"
#include "ksearch/llm_clients/client_factory.h"
#include "ksearch/llm_clients/endpoint_config.h"
#include "ksearch/planner/axis_catalogue.h"
#include "ksearch/workers/canary_fault.h"
#include "ksearch/workers/devices.h"
#include "ksearch/workers/eval_backend.h"
#include "ksearch/workers/worker_pool.h"
#include "service/campaign_service.h"
#include "service/instance_lock.h"
#include "service/planner_proposal_engine.h"
#include "service/retrieval_memo.h"

namespace {

using namespace ksearch;

struct Flags {
  std::string config = "configs/daemon.yaml";
  std::string port_file;
};

bool ParseFlags(int argc, char** argv, Flags& f) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "--config" || a == "--port-file") && i + 1 < argc) {
      (a == "--config" ? f.config : f.port_file) = argv[++i];
    } else {
      std::cerr << "usage: ksearchd [--config PATH] [--port-file PATH]\n";
      return false;
    }
  }
  return true;
}

// The canary (docs/daemon.md): the seed of workers.canary_task, built once per
// kind of slot and run on each GPU slot (and host slots with canary_host).
Result<workers::CanaryOptions> MakeCanaryOptions(const daemon::DaemonConfig& config) {
  workers::CanaryOptions o;
  const auto& w = config.workers;
  o.policy.canary_every = w.canary_every;
  o.policy.max_drift = w.canary_max_drift;
  o.interval = std::chrono::milliseconds(static_cast<int64_t>(w.canary_interval_s * 1000));
  if (w.canary_task.empty()) return o;
  auto task = evaluator::LoadTask(config.tasks_dir + "/" + w.canary_task);
  if (!task.ok()) return task.status().WithContext(config.source_path + ": workers.canary_task");
  std::vector<std::pair<std::string, Backend>> kinds = {{"gpu", Backend::kCuda}};
  if (w.canary_host) kinds.push_back({"host", Backend::kHost});
  for (const auto& [kind, backend] : kinds) {
    const std::string name(BackendName(backend));
    if (!task->HasBackend(name)) {
      if (kind == "host") return Status::InvalidArgument(config.source_path + ": workers.canary_task: task '" +
                                                         w.canary_task + "' has no host backend (canary_host)");
      continue;  // a CUDA-less canary task: GPU slots run no canary
    }
    auto source = ReadFileText(task->files.at(name).seed, "the canary seed");
    if (!source.ok()) return source.status();
    BuildRequest b;
    b.task_dir = task->dir;
    b.source = std::move(*source);
    b.backend = backend;
    b.arch = backend == Backend::kHost ? "" : w.canary_arch;
    b.work_dir = config.work_dir + "/canary";
    b.compile_timeout_s = config.defaults.compile_timeout_s;
    RunRequest r;
    r.task_dir = task->dir;
    r.backend = backend;
    r.arch = b.arch;
    r.seed = 20261122;  // fixed: every canary measures the same inputs
    r.run_timeout_s = config.defaults.run_timeout_s;
    r.audit_speedup_factor = config.defaults.audit_speedup_factor;
    r.work_dir = config.work_dir + "/canary";  // the pool appends "/<slot>"
    o.build[kind] = std::move(b);
    o.run[kind] = std::move(r);
  }
  return o;
}

// The soft descriptor limit raised to the hard one (at most 65536): systemd
// starts services with a soft limit of 1024, and each evaluation child costs
// the daemon four descriptors while it runs (three memory files and a pidfd),
// each API session one, the log a few.
void RaiseDescriptorLimit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur >= lim.rlim_max) return;
  const rlim_t before = lim.rlim_cur;
  lim.rlim_cur = std::min<rlim_t>(lim.rlim_max, 65536);
  if (lim.rlim_cur > before && setrlimit(RLIMIT_NOFILE, &lim) == 0)
    spdlog::info("ksearchd.nofile soft_limit={} was={}", static_cast<uint64_t>(lim.rlim_cur), static_cast<uint64_t>(before));
}

int Fail(const Status& s) {
  spdlog::error("ksearchd.start_failed error=\"{}\"", s.ToString());
  std::cerr << "ksearchd: " << s.message() << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  RaiseDescriptorLimit();
  Flags flags;
  if (!ParseFlags(argc, argv, flags)) return 2;
  auto config = daemon::LoadDaemonConfig(flags.config);
  if (!config.ok()) return Fail(config.status());
  // The folders of the log and the token: a fresh checkout has no
  // ksearch-data/ (configs/daemon.yaml's), and the daemon makes work_dir too.
  for (const std::string* file : {&config->database, &config->token_file}) {
    const std::filesystem::path dir = std::filesystem::path(*file).parent_path();
    std::error_code ec;
    if (!dir.empty()) std::filesystem::create_directories(dir, ec);
    if (ec) return Fail(Status::IoError(dir.string() + ": cannot create the folder of " + *file + ": " + ec.message()));
  }
  // Before the log is opened: a second daemon on it must not recover (and
  // mark interrupted) the first one's attempts.
  auto instance_lock = daemon::InstanceLock::Acquire(config->database);
  if (!instance_lock.ok()) return Fail(instance_lock.status());
  experiment_log::OpenOptions log_options;
  // Checkpoint every 10000 WAL pages (~40 MB) instead of SQLite's 1000: fewer
  // copies back into the database and fewer fsyncs per attempt
  // (bench_experiment_log attempts, docs/bench-experiment-log.md).
  log_options.wal_autocheckpoint_pages = 10000;
  auto log = experiment_log::ExperimentLog::Open(config->database, log_options);
  if (!log.ok()) return Fail(log.status());
  auto token = daemon::LoadOrCreateToken(config->token_file);
  if (!token.ok()) return Fail(token.status());
  auto catalogue = planner::AxisCatalogue::Load(config->axes_file);
  if (!catalogue.ok()) return Fail(catalogue.status());
  std::filesystem::create_directories(config->work_dir);

  boost::asio::io_context io;
  auto& launcher = PosixProcessLauncher::Instance();

  // Devices and the worker pool.
  // A GPU the config names and nvidia-smi does not list becomes a slot out of
  // service (in `ksearch slots`, /metrics and this log), not a silent omission;
  // the daemon still serves the other slots.
  workers::GpuDiscovery gpus;
  if (config->workers.gpus != "none") {
    const bool listed = config->workers.gpus != "auto";
    gpus = workers::DiscoverGpus(launcher, listed ? config->workers.gpus : "");
    if (!gpus.error.empty() && (listed || gpus.nvidia_smi_found))
      spdlog::error("ksearchd.gpu_discovery workers.gpus={} error=\"{}\"", config->workers.gpus, gpus.error);
    for (const std::string& id : gpus.missing)
      spdlog::error("ksearchd.gpu_missing gpu={} listed=\"{}\" (workers.gpus in {}; the slot is out of service)", id,
                    gpus.listed, config->source_path);
  }
  workers::PoolOptions pool_options;
  pool_options.compile_threads = config->workers.compile_threads > 0
                                     ? config->workers.compile_threads
                                     : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  pool_options.slots = workers::MakeSlots(gpus, config->workers.host_slots);
  workers::ProcessBackendOptions backend_options;
  backend_options.evaluate_binary = workers::FindEvaluateBinary();
  if (backend_options.evaluate_binary.empty())
    return Fail(Status::NotFound("ksearch-evaluate not found next to ksearchd or on PATH"));
  // Async on the io thread: no thread waits for an evaluation child (workers/src/async_child.h).
  workers::ProcessEvalBackend backend(launcher, backend_options, &io);
  auto canary = MakeCanaryOptions(*config);
  if (!canary.ok()) return Fail(canary.status());
  pool_options.canary = std::move(*canary);
  pool_options.on_canary = [](const workers::CanaryReport& r) {
    if (!r.ran) {
      spdlog::error("ksearchd.canary_unavailable slot={} error=\"{}\" (canaries stop for this kind; slots stay in service)",
                    r.slot, r.error);
    } else if (!r.out_of_service.empty()) {
      spdlog::error("ksearchd.slot_out_of_service slot={} reason=\"{}\" verdict={} time_us={}", r.slot,
                    r.out_of_service, r.result.verdict.ToString(), r.result.time_us);
    } else {
      spdlog::info("ksearchd.canary slot={} verdict={} time_us={}", r.slot, r.result.verdict.ToString(),
                   r.result.time_us);
    }
  };
  // Fault injection for tests and drills: a drifting canary on one slot.
  std::unique_ptr<workers::CanaryDriftInjector> drift;
  workers::EvalBackend* pool_backend = &backend;
  if (const char* fault = std::getenv("KSEARCH_FAULT_CANARY_DRIFT"); fault && *fault) {
    // "SLOT" or "SLOT:FACTOR" (default 2): that slot's canary times are
    // multiplied by FACTOR from its second canary on.
    std::string slot = fault;
    double factor = 2.0;
    if (auto colon = slot.find(':'); colon != std::string::npos) {
      factor = std::atof(slot.c_str() + colon + 1);
      slot.resize(colon);
    }
    if (!(factor > 0)) return Fail(Status::InvalidArgument("KSEARCH_FAULT_CANARY_DRIFT: expected SLOT[:FACTOR]"));
    drift = std::make_unique<workers::CanaryDriftInjector>(backend, slot, factor);
    pool_backend = drift.get();
    spdlog::warn("ksearchd.fault_injection KSEARCH_FAULT_CANARY_DRIFT: slot {} canary times x{} from its "
                 "second canary", slot, factor);
  }
  workers::WorkerPool pool(io, *pool_backend, pool_options);
  for (const auto& s : pool_options.slots)
    spdlog::info("ksearchd.slot name={} kind={} device={} label=\"{}\"{}", s.name, s.kind, s.device, s.label,
                 s.out_of_service.empty() ? "" : " out_of_service=\"" + s.out_of_service + "\"");

  // Proposers: LLM endpoints and recorded cassettes.
  std::vector<llm::EndpointConfig> endpoint_list;
  if (config->has_endpoints) {
    auto parsed = llm::ParseEndpointsYaml(config->yaml_text, config->source_path);
    if (!parsed.ok()) return Fail(parsed.status());
    endpoint_list = std::move(*parsed);
  }
  if (!config->endpoints_file.empty()) {
    auto parsed = llm::LoadEndpointsFile(config->endpoints_file);
    if (!parsed.ok()) return Fail(parsed.status());
    endpoint_list.insert(endpoint_list.end(), parsed->begin(), parsed->end());
  }
  // One shared set of clients (one CurlTransport on the daemon's loop). The
  // money budgets are per campaign: PlannerProposalEngine attaches each
  // campaign's llm::MoneyBudget to its calls, so no deployment-wide budget here.
  auto http_clients = llm::BuildClients(io, endpoint_list, /*budget=*/nullptr);
  if (!http_clients.ok()) return Fail(http_clients.status());
  std::vector<std::unique_ptr<llm::LlmClient>> clients;
  for (const auto& r : config->replay) {
    auto c = llm::ReplayClient::Load(io, r.cassette, r.in_order ? llm::ReplayMode::kInOrder : llm::ReplayMode::kByKey,
                                     r.name);
    if (!c.ok()) return Fail(c.status());
    clients.push_back(std::move(*c));
  }
  std::vector<llm::LlmClient*> client_ptrs;
  for (auto& c : http_clients->clients) client_ptrs.push_back(c.get());
  for (auto& c : clients) client_ptrs.push_back(c.get());

  // The io thread's CPU by activity, for /metrics: the service charges its
  // work, and the retrievals below charge theirs.
  daemon::CpuLedger io_cpu;
  // Retrieval for prompts: ISA facts from the corpus, each key once (the memo
  // counts its hits and misses for /metrics).
  daemon::RetrievalMemoStats isa_memo, skill_memo;
  daemon::ContextSources sources;
  std::unique_ptr<isa_corpus::Corpus> corpus;
  if (!config->isa_dir.empty()) {
    auto opened = isa_corpus::Corpus::Open({config->isa_dir, {}, {}});
    if (!opened.ok()) return Fail(opened.status());
    corpus = std::move(*opened);
    // The corpus is read-only from here on, so each key's facts are retrieved once.
    sources.isa_facts = daemon::MemoizeIsaFacts(daemon::IsaFactsFrom(*corpus), 1024, &isa_memo, &io_cpu);
  }
  // Technique notes for prompts: the skills tree routed per (axis, arch, op).
  // An explicit skills_dir must load; the built-in tree is used when present.
  std::optional<skills::SkillTree> skill_tree;
  std::optional<skills::Router> skill_router;
  {
    const std::string dir = config->skills_dir.empty() ? skills::DefaultTreeDir() : config->skills_dir;
    if (!config->skills_dir.empty() || std::filesystem::is_directory(dir)) {
      auto tree = skills::SkillTree::Load({dir, config->tasks_dir});
      if (!tree.ok()) return Fail(tree.status());
      skill_tree.emplace(std::move(*tree));
      skill_router.emplace(*skill_tree);
      sources.skill =
          daemon::MemoizeSkill(daemon::SkillNotesFrom(*skill_router, *catalogue), 1024, &skill_memo, &io_cpu);
      spdlog::info("ksearchd.skills dir={} skills={}", dir, skill_tree->skills().size());
    } else {
      spdlog::warn("ksearchd.skills dir={} missing: prompts carry no technique notes", dir);
    }
  }
  experiment_log::ExperimentLog& log_ref = **log;
  sources.blob = [&log_ref](const std::string& hash) {
    auto b = log_ref.GetBlob(hash);
    return b.ok() ? *b : std::string();
  };
  daemon::PlannerProposalEngine engine(io, client_ptrs, sources);

  daemon::CampaignService service(io, *config, **log, pool, engine, *catalogue, SystemClock::Instance(), io_cpu);
  service.metrics().Describe("ksearch_prompt_context_lookups_total", "counter",
                             "Prompt-context lookups (ISA facts, technique notes) by result: a miss retrieves.");
  service.AddMetricsSource([&isa_memo, &skill_memo](daemon::Metrics& m) {
    for (const auto& [source, stats] : {std::pair{"isa_facts", &isa_memo}, std::pair{"skill", &skill_memo}}) {
      m.Set("ksearch_prompt_context_lookups_total", double(stats->hits), {{"source", source}, {"result", "hit"}});
      m.Set("ksearch_prompt_context_lookups_total", double(stats->misses), {{"source", source}, {"result", "miss"}});
    }
  });
  if (Status s = service.Start(); !s.ok()) return Fail(s);

  daemon::HttpServerOptions http_options;
  http_options.address = config->listen_address;
  http_options.port = config->listen_port;
  http_options.max_body_bytes = config->max_request_bytes;
  const std::string api_token = *token;
  daemon::HttpServer server(io, http_options, [&service, api_token](const daemon::ApiRequest& req) {
    daemon::CpuScope cpu(service.io_cpu(), daemon::CpuActivity::kHttp);
    return daemon::HandleApiRequest(req, api_token, service);
  });
  if (Status s = server.Start(); !s.ok()) return Fail(s);
  if (!flags.port_file.empty()) std::ofstream(flags.port_file) << server.port() << "\n";
  std::cout << "ksearchd listening on " << config->listen_address << ":" << server.port() << std::endl;
  spdlog::info("ksearchd.started listen={}:{} db={} slots={}", config->listen_address, server.port(),
               config->database, pool_options.slots.size());

  // SIGHUP (the terminal that started the daemon closed) would end it without
  // the graceful stop; an overnight daemon keeps running instead. A handler,
  // not SIG_IGN, so the evaluation children still get the default action.
  boost::asio::signal_set hangup(io, SIGHUP);
  std::function<void(const boost::system::error_code&, int)> on_hangup = [&](const boost::system::error_code& ec,
                                                                                  int) {
    if (ec) return;
    spdlog::warn("ksearchd.sighup ignored: the daemon keeps running (SIGTERM or SIGINT stops it)");
    hangup.async_wait(on_hangup);
  };
  hangup.async_wait(on_hangup);
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  bool stopping = false;
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    stopping = true;
    spdlog::info("ksearchd.stopping signal={}", sig);
    hangup.cancel();
    server.Stop();
    auto grace = std::chrono::milliseconds(static_cast<int64_t>(config->shutdown_grace_s * 1000));
    service.Shutdown(grace, [&] {
      pool.Shutdown();
      launcher.KillAll();  // evaluations still running are already recorded as interrupted
      io.stop();
    });
  });
  io.run();
  spdlog::info("ksearchd.stopped clean={}", stopping);
  return 0;
}
