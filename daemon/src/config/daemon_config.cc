#include "config/daemon_config.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "ksearch/core/eval_protocol.h"
#include "ksearch/core/file_text.h"

namespace ksearch::daemon {
namespace {

namespace fs = std::filesystem;

// Builds "file:line: key: problem".
class Errors {
 public:
  explicit Errors(std::string file) : file_(std::move(file)) {}
  Status At(const YAML::Node& node, const std::string& key, const std::string& problem) const {
    std::ostringstream os;
    os << file_;
    if (node.IsDefined() && node.Mark().line >= 0) os << ":" << node.Mark().line + 1;
    os << ": " << key << ": " << problem;
    return Status::InvalidArgument(os.str());
  }

 private:
  std::string file_;
};

template <typename T>
Status Read(const Errors& err, const YAML::Node& node, const std::string& key, T& out) {
  try {
    out = node.as<T>();
    return Status::Ok();
  } catch (const YAML::Exception&) {
    return err.At(node, key, "has the wrong type");
  }
}

Status CheckKeys(const Errors& err, const YAML::Node& map, const std::string& prefix,
                 const std::set<std::string>& known) {
  if (!map.IsMap()) return err.At(map, prefix.empty() ? "(top level)" : prefix, "must be a mapping");
  for (const auto& kv : map) {
    auto key = kv.first.as<std::string>();
    if (!known.count(key))
      return err.At(kv.first, prefix.empty() ? key : prefix + "." + key, "unknown key");
  }
  return Status::Ok();
}

std::string Resolve(const std::string& base_dir, const std::string& p) {
  if (p.empty() || p[0] == '/' || base_dir.empty()) return p;
  return (fs::path(base_dir) / p).lexically_normal().string();
}

}  // namespace

Result<DaemonConfig> ParseDaemonConfig(const std::string& yaml_text, const std::string& source_path) {
  Errors err(source_path);
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::ParserException& e) {
    return Status::InvalidArgument(source_path + ":" + std::to_string(e.mark.line + 1) +
                                   ": invalid YAML: " + e.msg);
  }
  DaemonConfig c;
  c.source_path = source_path;
  if (!root.IsDefined() || root.IsNull()) return c;
  KS_RETURN_IF_ERROR(CheckKeys(err, root, "",
                               {"listen", "token_file", "database", "work_dir", "campaigns_dir",
                                "tasks_dir", "endpoints_file", "axes_file", "isa_dir", "skills_dir", "shutdown_grace_s",
                                "log_retry_s", "infra_pause_after", "infra_retry_s",
                                "max_request_bytes", "workers", "defaults", "proposals_per_slot", "max_attempts_in_flight",
                                "endpoints", "replay"}));
  c.yaml_text = yaml_text;
  c.has_endpoints = static_cast<bool>(root["endpoints"]);
  if (auto r = root["replay"]) {
    if (!r.IsSequence()) return err.At(r, "replay", "must be a list");
    for (size_t i = 0; i < r.size(); ++i) {
      const std::string key = "replay[" + std::to_string(i) + "]";
      KS_RETURN_IF_ERROR(CheckKeys(err, r[i], key, {"name", "cassette", "in_order"}));
      ReplaySource src;
      if (!r[i]["name"] || !r[i]["cassette"]) return err.At(r[i], key, "needs name and cassette");
      KS_RETURN_IF_ERROR(Read(err, r[i]["name"], key + ".name", src.name));
      KS_RETURN_IF_ERROR(Read(err, r[i]["cassette"], key + ".cassette", src.cassette));
      if (auto n = r[i]["in_order"]) KS_RETURN_IF_ERROR(Read(err, n, key + ".in_order", src.in_order));
      c.replay.push_back(std::move(src));
    }
  }
  if (auto n = root["listen"]) {
    std::string listen;
    KS_RETURN_IF_ERROR(Read(err, n, "listen", listen));
    auto colon = listen.rfind(':');
    if (colon == std::string::npos) return err.At(n, "listen", "expected HOST:PORT");
    c.listen_address = listen.substr(0, colon);
    const std::string port_text = listen.substr(colon + 1);
    int port = std::atoi(port_text.c_str());
    if (port_text.empty() || port_text.find_first_not_of("0123456789") != std::string::npos || port > 65535)
      return err.At(n, "listen", "port must be 0..65535 (0: any free port)");
    c.listen_port = static_cast<uint16_t>(port);
  }
  const std::map<std::string, std::string*> strings = {
      {"token_file", &c.token_file},       {"database", &c.database},
      {"work_dir", &c.work_dir},           {"campaigns_dir", &c.campaigns_dir},
      {"tasks_dir", &c.tasks_dir},         {"endpoints_file", &c.endpoints_file},
      {"axes_file", &c.axes_file},         {"isa_dir", &c.isa_dir},
      {"skills_dir", &c.skills_dir}};
  for (const auto& [key, dst] : strings)
    if (auto n = root[key]) KS_RETURN_IF_ERROR(Read(err, n, key, *dst));
  if (auto n = root["shutdown_grace_s"]) {
    KS_RETURN_IF_ERROR(Read(err, n, "shutdown_grace_s", c.shutdown_grace_s));
    if (c.shutdown_grace_s <= 0) return err.At(n, "shutdown_grace_s", "must be > 0");
  }
  if (auto n = root["log_retry_s"]) {
    KS_RETURN_IF_ERROR(Read(err, n, "log_retry_s", c.log_retry_s));
    if (!(c.log_retry_s >= 0) || c.log_retry_s > 86400) return err.At(n, "log_retry_s", "must be 0..86400");
  }
  if (auto n = root["infra_pause_after"]) {
    KS_RETURN_IF_ERROR(Read(err, n, "infra_pause_after", c.infra_pause_after));
    if (c.infra_pause_after < 0) return err.At(n, "infra_pause_after", "must be >= 0");
  }
  if (auto n = root["infra_retry_s"]) {
    KS_RETURN_IF_ERROR(Read(err, n, "infra_retry_s", c.infra_retry_s));
    if (!(c.infra_retry_s >= 0) || c.infra_retry_s > 86400) return err.At(n, "infra_retry_s", "must be 0..86400");
  }
  if (auto n = root["max_request_bytes"]) {
    KS_RETURN_IF_ERROR(Read(err, n, "max_request_bytes", c.max_request_bytes));
    if (c.max_request_bytes < 1024) return err.At(n, "max_request_bytes", "must be >= 1024");
  }
  if (auto n = root["proposals_per_slot"]) {
    KS_RETURN_IF_ERROR(Read(err, n, "proposals_per_slot", c.proposals_per_slot));
    if (c.proposals_per_slot < 1 || c.proposals_per_slot > 64)
      return err.At(n, "proposals_per_slot", "must be 1..64");
  }
  if (auto n = root["max_attempts_in_flight"]) {
    KS_RETURN_IF_ERROR(Read(err, n, "max_attempts_in_flight", c.max_attempts_in_flight));
    if (c.max_attempts_in_flight < 0) return err.At(n, "max_attempts_in_flight", "must be >= 0 (0: no cap)");
  }
  if (auto w = root["workers"]) {
    KS_RETURN_IF_ERROR(CheckKeys(err, w, "workers",
                                 {"gpus", "host_slots", "compile_threads", "canary_every",
                                  "canary_max_drift", "canary_interval_s", "canary_task", "canary_arch",
                                  "canary_host"}));
    if (auto n = w["gpus"]) {
      if (n.IsSequence()) {
        std::string list;
        for (const auto& g : n) list += (list.empty() ? "" : ",") + g.as<std::string>();
        c.workers.gpus = list;
      } else {
        KS_RETURN_IF_ERROR(Read(err, n, "workers.gpus", c.workers.gpus));
      }
    }
    if (auto n = w["host_slots"]) {
      KS_RETURN_IF_ERROR(Read(err, n, "workers.host_slots", c.workers.host_slots));
      if (c.workers.host_slots < 0 || c.workers.host_slots > 256)
        return err.At(n, "workers.host_slots", "must be 0..256");
    }
    if (auto n = w["compile_threads"]) {
      KS_RETURN_IF_ERROR(Read(err, n, "workers.compile_threads", c.workers.compile_threads));
      if (c.workers.compile_threads < 0) return err.At(n, "workers.compile_threads", "must be >= 0");
    }
    if (auto n = w["canary_every"]) {
      KS_RETURN_IF_ERROR(Read(err, n, "workers.canary_every", c.workers.canary_every));
      if (c.workers.canary_every < 1) return err.At(n, "workers.canary_every", "must be >= 1");
    }
    if (auto n = w["canary_max_drift"]) {
      KS_RETURN_IF_ERROR(Read(err, n, "workers.canary_max_drift", c.workers.canary_max_drift));
      if (c.workers.canary_max_drift <= 0) return err.At(n, "workers.canary_max_drift", "must be > 0");
    }
    if (auto n = w["canary_interval_s"]) {
      KS_RETURN_IF_ERROR(Read(err, n, "workers.canary_interval_s", c.workers.canary_interval_s));
      if (c.workers.canary_interval_s < 0)
        return err.At(n, "workers.canary_interval_s", "must be >= 0 (0: only every canary_every evaluations)");
    }
    if (auto n = w["canary_task"]) {
      KS_RETURN_IF_ERROR(Read(err, n, "workers.canary_task", c.workers.canary_task));
      if (c.workers.canary_task.find('/') != std::string::npos || c.workers.canary_task == "..")
        return err.At(n, "workers.canary_task", "must name a task folder under tasks_dir (or be \"\": no canary)");
    }
    if (auto n = w["canary_arch"]) KS_RETURN_IF_ERROR(Read(err, n, "workers.canary_arch", c.workers.canary_arch));
    if (auto n = w["canary_host"]) KS_RETURN_IF_ERROR(Read(err, n, "workers.canary_host", c.workers.canary_host));
  }
  if (auto d = root["defaults"]) {
    KS_RETURN_IF_ERROR(CheckKeys(err, d, "defaults",
                                 {"compile_timeout_s", "run_timeout_s", "profile",
                                  "audit_speedup_factor"}));
    if (auto n = d["compile_timeout_s"]) {
      KS_RETURN_IF_ERROR(Read(err, n, "defaults.compile_timeout_s", c.defaults.compile_timeout_s));
      if (c.defaults.compile_timeout_s <= 0) return err.At(n, "defaults.compile_timeout_s", "must be > 0");
    }
    if (auto n = d["run_timeout_s"]) {
      KS_RETURN_IF_ERROR(Read(err, n, "defaults.run_timeout_s", c.defaults.run_timeout_s));
      if (c.defaults.run_timeout_s <= 0) return err.At(n, "defaults.run_timeout_s", "must be > 0");
    }
    if (auto n = d["profile"]) {
      KS_RETURN_IF_ERROR(Read(err, n, "defaults.profile", c.defaults.profile));
      if (c.defaults.profile != "never" && c.defaults.profile != "new_best" &&
          c.defaults.profile != "always")
        return err.At(n, "defaults.profile", "must be never, new_best or always");
    }
    if (auto n = d["audit_speedup_factor"]) {
      KS_RETURN_IF_ERROR(Read(err, n, "defaults.audit_speedup_factor", c.defaults.audit_speedup_factor));
      if (c.defaults.audit_speedup_factor <= 1)
        return err.At(n, "defaults.audit_speedup_factor", "must be > 1");
    }
  }
  // The config's folder as an absolute path: the daemon's paths must not
  // depend on its current folder, and the evaluator's children run in
  // folders of their own (`ksearchd --config daemon.yaml` gave them "work").
  std::string base = fs::path(AbsolutePath(source_path)).parent_path().string();
  for (auto& r : c.replay) r.cassette = Resolve(base, r.cassette);
  for (std::string* p : {&c.token_file, &c.database, &c.work_dir, &c.campaigns_dir, &c.tasks_dir,
                         &c.endpoints_file, &c.axes_file, &c.isa_dir, &c.skills_dir})
    *p = Resolve(base, *p);
  return c;
}

Result<DaemonConfig> LoadDaemonConfig(const std::string& path) {
  auto text = ReadFileText(path, "the daemon configuration");
  if (!text.ok()) return text.status();
  return ParseDaemonConfig(*text, path);
}

}  // namespace ksearch::daemon
