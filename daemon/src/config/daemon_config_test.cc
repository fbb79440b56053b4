#include <catch.hpp>

#include <filesystem>

#include "config/daemon_config.h"

using namespace ksearch::daemon;

TEST_CASE("a full daemon.yaml parses and paths resolve against its folder", "[daemon][config]") {
  const std::string yaml = R"(listen: 127.0.0.1:9000
token_file: secrets/token
database: /var/lib/ksearch/ksearch.db
workers:
  gpus: [0, 2]
  host_slots: 2
  compile_threads: 4
  canary_interval_s: 600
  canary_task: rmsnorm
  canary_arch: sm_90a
  canary_host: true
max_attempts_in_flight: 1
log_retry_s: 5
infra_pause_after: 5
infra_retry_s: 0
defaults:
  run_timeout_s: 30
  profile: always
replay:
  - {name: replay, cassette: cassettes/demo.jsonl}
endpoints:
  - {name: local, protocol: openai, base_url: "http://127.0.0.1:8000/v1", model: m}
)";
  auto c = ParseDaemonConfig(yaml, "/etc/ksearch/daemon.yaml");
  REQUIRE(c.ok());
  CHECK(c->listen_port == 9000);
  CHECK(c->token_file == "/etc/ksearch/secrets/token");
  CHECK(c->database == "/var/lib/ksearch/ksearch.db");
  CHECK(c->workers.gpus == "0,2");
  CHECK(c->workers.host_slots == 2);
  CHECK(c->workers.canary_interval_s == 600);
  CHECK(c->workers.canary_task == "rmsnorm");
  CHECK(c->workers.canary_arch == "sm_90a");
  CHECK(c->workers.canary_host);
  CHECK(c->workers.canary_every == 200);  // the default
  CHECK(c->log_retry_s == 5);
  CHECK(c->infra_pause_after == 5);
  CHECK(c->infra_retry_s == 0);
  auto defaults = ParseDaemonConfig("listen: 127.0.0.1:9000\n", "/etc/ksearch/daemon.yaml");
  REQUIRE(defaults.ok());
  CHECK(defaults->log_retry_s == 30);
  CHECK(defaults->infra_pause_after == 3);
  CHECK(defaults->infra_retry_s == 60);
  CHECK(c->max_attempts_in_flight == 1);
  CHECK(c->defaults.profile == "always");
  REQUIRE(c->replay.size() == 1);
  CHECK(c->replay[0].cassette == "/etc/ksearch/cassettes/demo.jsonl");
}

TEST_CASE("a config named by a relative path gives absolute paths", "[daemon][config]") {
  // `ksearchd --config daemon.yaml` from the config's folder: the evaluator
  // runs its children in folders of their own, so "work" would name another
  // folder there.
  auto c = ParseDaemonConfig("work_dir: work\ntasks_dir: ../tasks\ndatabase: /srv/k.db\n", "conf/daemon.yaml");
  REQUIRE(c.ok());
  const std::filesystem::path here = std::filesystem::current_path();
  CHECK(c->work_dir == (here / "conf/work").string());
  CHECK(c->tasks_dir == (here / "tasks").lexically_normal().string());
  CHECK(c->database == "/srv/k.db");
  auto bare = ParseDaemonConfig("work_dir: work\n", "daemon.yaml");
  REQUIRE(bare.ok());
  CHECK(bare->work_dir == (here / "work").string());
}

TEST_CASE("config errors name the file, the line and the key", "[daemon][config][fault]") {
  struct Case {
    std::string yaml, expect;
  };
  const std::vector<Case> cases = {
      {"listen: 127.0.0.1\n", "d.yaml:1: listen: expected HOST:PORT"},
      {"database: x.db\nworkers:\n  host_slots: -1\n", "d.yaml:3: workers.host_slots: must be 0..256"},
      {"workers:\n  gpu: auto\n", "d.yaml:2: workers.gpu: unknown key"},
      {"defaults:\n  profile: sometimes\n", "d.yaml:2: defaults.profile: must be never, new_best or always"},
      {"shutdown_grace_s: soon\n", "d.yaml:1: shutdown_grace_s: has the wrong type"},
      {"listen: [\n", "d.yaml:"},
      {"replay:\n  - {name: r}\n", "d.yaml:2: replay[0]: needs name and cassette"},
      {"max_attempts_in_flight: -2\n", "d.yaml:1: max_attempts_in_flight: must be >= 0"},
      {"workers:\n  canary_interval_s: -5\n", "d.yaml:2: workers.canary_interval_s: must be >= 0"},
      {"workers:\n  host_slots: 1\n  canary_task: ../etc\n", "d.yaml:3: workers.canary_task: must name a task folder"},
      {"workers:\n  canary_host: maybe\n", "d.yaml:2: workers.canary_host: has the wrong type"},
      {"workers:\n  canary_every: 0\n", "d.yaml:2: workers.canary_every: must be >= 1"},
      {"database: x.db\nlog_retry_s: -1\n", "d.yaml:2: log_retry_s: must be 0..86400"},
      {"infra_pause_after: -1\n", "d.yaml:1: infra_pause_after: must be >= 0"},
      {"infra_retry_s: forever\n", "d.yaml:1: infra_retry_s: has the wrong type"},
  };
  for (const auto& c : cases) {
    auto r = ParseDaemonConfig(c.yaml, "d.yaml");
    INFO(c.yaml);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().rfind(c.expect, 0) == 0);
  }
  auto missing = LoadDaemonConfig("/nonexistent/daemon.yaml");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message().find("/nonexistent/daemon.yaml") != std::string::npos);
}
