// DaemonProcess: a real ksearchd child for end-to-end tests.
// Each instance owns a data folder (config, token, database, work dir) under
// /tmp; Start() launches ksearchd and waits for its port; Kill() sends SIGKILL
// (the chaos test), Stop() SIGTERM and waits.
#pragma once

#include <sys/types.h>

#include <string>

#include <nlohmann/json.hpp>

#include "cli/api_client.h"

namespace ksearch::e2e {

std::string SourceDir();
std::string BinDir();

class DaemonProcess {
 public:
  // `extra_yaml` is appended to the generated daemon.yaml.
  explicit DaemonProcess(const std::string& name, const std::string& extra_yaml = "");
  ~DaemonProcess();

  bool Start();               // false if it did not come up in time
  void Kill();                // SIGKILL, reap
  int Stop();                 // SIGTERM, reap; the exit status
  void Signal(int sig);       // sends `sig`, nothing more
  bool running() const { return pid_ > 0; }

  const std::string& dir() const { return dir_; }
  const std::string& db() const { return db_; }
  // Replaces the line `line` (with its newline) of the generated daemon.yaml
  // by `replacement` (before Start); false if the file has no such line.
  bool EditConfigLine(const std::string& line, const std::string& replacement);
  // Moves the log to `path` (before Start): the generated daemon.yaml names it.
  void SetDatabase(const std::string& path);
  cli::ApiTarget target() const { return target_; }

  // Blocking API call; REQUIREs nothing (returns status 0 on connection failure).
  cli::ApiReply Call(const std::string& method, const std::string& path, const std::string& body = "");
  // Starts a campaign from a YAML file of configs/campaigns (or text).
  cli::ApiReply StartCampaign(const std::string& yaml);
  // Runs `ksearch ARGS...` and returns its stdout (exit code in `rc`).
  std::string RunCli(const std::vector<std::string>& args, int* rc = nullptr) const;

 private:
  std::string dir_;
  std::string db_;
  pid_t pid_ = -1;
  cli::ApiTarget target_;
};

}  // namespace ksearch::e2e
