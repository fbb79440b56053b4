// fake-llm-server: the loopback fake as a standalone process, for end-to-end
// tests and the daemon demo.
//
//   fake-llm-server [--port N] [--script FILE] [--reply TEXT | --reply-file FILE]
//                   [--port-file FILE] [--requests-log FILE]
//
// --script: JSONL, one FakeResponse per line (see FakeResponse::FromJson),
//   served in order; after it runs out every request gets --reply (default
//   "ok") as a completion. --port-file receives the port once listening;
//   --requests-log receives one JSON line per request (target, headers minus
//   authorization/x-api-key, body) when the server stops.
// Stops on SIGINT or SIGTERM.
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "ksearch/fakes/fake_llm_server.h"

namespace {

int Usage(const std::string& why) {
  std::cerr << "fake-llm-server: " << why << "\n"
            << "usage: fake-llm-server [--port N] [--script FILE] [--reply TEXT | --reply-file FILE]"
               " [--port-file FILE] [--requests-log FILE]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using ksearch::fakes::FakeLlmServer;
  using ksearch::fakes::FakeResponse;
  int port = 0;
  std::string script, reply = "ok", port_file, requests_log;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    std::string v;
    if (a == "--port" && value(&v)) port = std::atoi(v.c_str());
    else if (a == "--script" && value(&script)) {}
    else if (a == "--reply" && value(&reply)) {}
    else if (a == "--reply-file" && value(&v)) {
      std::ifstream in(v);
      if (!in) return Usage("cannot read " + v);
      std::ostringstream ss;
      ss << in.rdbuf();
      reply = ss.str();
    } else if (a == "--port-file" && value(&port_file)) {}
    else if (a == "--requests-log" && value(&requests_log)) {}
    else return Usage("unknown or incomplete argument " + a);
  }
  if (port < 0 || port > 65535) return Usage("--port must be in [0, 65535]");

  // Block the stop signals before the server thread starts so only sigwait sees them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  std::vector<FakeResponse> scripted;
  if (!script.empty()) {
    std::ifstream in(script);
    if (!in) return Usage("cannot read script " + script);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      ++n;
      if (line.find_first_not_of(" \t\r") == std::string::npos || line[0] == '#') continue;
      auto j = nlohmann::json::parse(line, nullptr, false);
      auto r = FakeResponse::FromJson(j.is_discarded() ? nlohmann::json("not json") : j);
      if (!r.ok()) {
        std::cerr << script << ":" << n << ": " << r.error().message() << "\n";
        return 2;
      }
      scripted.push_back(*r);
    }
  }

  FakeLlmServer server(FakeLlmServer::Options{static_cast<uint16_t>(port)});
  for (auto& r : scripted) server.Enqueue(r);
  server.SetResponder([reply](const ksearch::fakes::RecordedRequest&) { return FakeResponse::Completion(reply); });
  if (!port_file.empty()) {
    std::ofstream(port_file) << server.port() << "\n";
  }
  std::printf("fake-llm-server listening on 127.0.0.1:%u\n", server.port());
  std::fflush(stdout);

  int sig = 0;
  sigwait(&set, &sig);
  server.Stop();
  if (!requests_log.empty()) {
    std::ofstream out(requests_log, std::ios::app);
    for (const auto& r : server.Requests()) {
      nlohmann::json h = nlohmann::json::object();
      for (const auto& [k, v] : r.headers) {
        if (k != "authorization" && k != "x-api-key") h[k] = v;
      }
      out << nlohmann::json{{"method", r.method}, {"target", r.target}, {"headers", h}, {"body", r.body}}.dump()
          << "\n";
    }
  }
  std::fprintf(stderr, "fake-llm-server: stopped after %zu requests\n", server.RequestCount());
  return 0;
}
