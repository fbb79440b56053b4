// ksearchd: the long-running campaign daemon (DESIGN.md section 9).
//
//   ksearchd [--config configs/daemon.yaml] [--port-file PATH]
//
// Start-up: configuration, log, devices, worker pool, LLM clients, ISA corpus,
// campaigns rebuilt from the log, then the control API. SIGTERM/SIGINT: stop
// proposing, let in-flight attempts finish within shutdown_grace_s, record the
// rest as interrupted, kill remaining evaluation processes, exit 0.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "api/auth.h"
#include "api/http_server.h"
#include "api/routes.h"
#include "config/daemon_config.h"
#include "ksearch/core/clock.h"
#include "ksearch/experiment_log/experiment_log.h"
#include "ksearch/isa_corpus/corpus.h"
#include "ksearch/llm_clients/cassette.h"
#include "ksearch/llm_clients/client_factory.h"
#include "ksearch/llm_clients/endpoint_config.h"
#include "ksearch/planner/axis_catalogue.h"
#include "ksearch/workers/devices.h"
#include "ksearch/workers/eval_backend.h"
#include "ksearch/workers/worker_pool.h"
#include "service/campaign_service.h"
#include "service/planner_proposal_engine.h"

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

int Fail(const Status& s) {
  spdlog::error("ksearchd.start_failed error=\"{}\"", s.ToString());
  std::cerr << "ksearchd: " << s.message() << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, flags)) return 2;
  auto config = daemon::LoadDaemonConfig(flags.config);
  if (!config.ok()) return Fail(config.status());
  auto log = experiment_log::ExperimentLog::Open(config->database);
  if (!log.ok()) return Fail(log.status());
  auto token = daemon::LoadOrCreateToken(config->token_file);
  if (!token.ok()) return Fail(token.status());
  auto catalogue = planner::AxisCatalogue::Load(config->axes_file);
  if (!catalogue.ok()) return Fail(catalogue.status());
  std::filesystem::create_directories(config->work_dir);

  boost::asio::io_context io;
  auto& launcher = PosixProcessLauncher::Instance();

  // Devices and the worker pool.
  std::vector<workers::GpuInfo> gpus;
  if (config->workers.gpus != "none")
    gpus = workers::DiscoverGpus(launcher, config->workers.gpus == "auto" ? "" : config->workers.gpus);
  workers::PoolOptions pool_options;
  pool_options.compile_threads = config->workers.compile_threads > 0
                                     ? config->workers.compile_threads
                                     : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  pool_options.slots = workers::MakeSlots(gpus, config->workers.host_slots);
  workers::ProcessBackendOptions backend_options;
  backend_options.evaluate_binary = workers::FindEvaluateBinary();
  if (backend_options.evaluate_binary.empty())
    return Fail(Status::NotFound("ksearch-evaluate not found next to ksearchd or on PATH"));
  workers::ProcessEvalBackend backend(launcher, backend_options);
  workers::WorkerPool pool(io, backend, pool_options);
  for (const auto& s : pool_options.slots)
    spdlog::info("ksearchd.slot name={} kind={} device={} label=\"{}\"", s.name, s.kind, s.device, s.label);

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

  // Retrieval for prompts: ISA facts from the corpus.
  daemon::ContextSources sources;
  std::unique_ptr<isa_corpus::Corpus> corpus;
  if (!config->isa_dir.empty()) {
    auto opened = isa_corpus::Corpus::Open({config->isa_dir, {}, {}});
    if (!opened.ok()) return Fail(opened.status());
    corpus = std::move(*opened);
    sources.isa_facts = [&corpus](const std::string& task, const std::string& arch, const std::string& axis,
                                  const std::string& bottleneck, size_t budget) {
      isa_corpus::RetrievalRequest req{task + " " + axis, arch, axis, bottleneck, 6};
      auto packet = corpus->Retrieve(req, budget);
      return packet.ok() ? std::vector<std::string>{packet->text} : std::vector<std::string>{};
    };
  }
  experiment_log::ExperimentLog& log_ref = **log;
  sources.blob = [&log_ref](const std::string& hash) {
    auto b = log_ref.GetBlob(hash);
    return b.ok() ? *b : std::string();
  };
  daemon::PlannerProposalEngine engine(io, client_ptrs, sources);

  daemon::CampaignService service(io, *config, **log, pool, engine, *catalogue, SystemClock::Instance());
  if (Status s = service.Start(); !s.ok()) return Fail(s);

  daemon::HttpServerOptions http_options;
  http_options.address = config->listen_address;
  http_options.port = config->listen_port;
  http_options.max_body_bytes = config->max_request_bytes;
  const std::string api_token = *token;
  daemon::HttpServer server(io, http_options, [&service, api_token](const daemon::ApiRequest& req) {
    return daemon::HandleApiRequest(req, api_token, service);
  });
  if (Status s = server.Start(); !s.ok()) return Fail(s);
  if (!flags.port_file.empty()) std::ofstream(flags.port_file) << server.port() << "\n";
  std::cout << "ksearchd listening on " << config->listen_address << ":" << server.port() << std::endl;
  spdlog::info("ksearchd.started listen={}:{} db={} slots={}", config->listen_address, server.port(),
               config->database, pool_options.slots.size());

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  bool stopping = false;
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    stopping = true;
    spdlog::info("ksearchd.stopping signal={}", sig);
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
