#include "child_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <thread>

namespace ksearch::e2e {

pid_t SpawnWithLogs(const std::vector<std::string>& argv, const std::string& stdout_path,
                    const std::string& stderr_path) {
  pid_t pid = fork();
  if (pid == 0) {
    FILE* e = std::freopen(stderr_path.c_str(), "a", stderr);
    FILE* o = std::freopen(stdout_path.c_str(), "a", stdout);
    (void)e;
    (void)o;
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

int WaitForPortFile(pid_t& pid, const std::string& port_file, std::chrono::milliseconds timeout) {
  const auto step = std::chrono::milliseconds(50);
  for (auto waited = std::chrono::milliseconds(0); waited < timeout; waited += step) {
    std::ifstream in(port_file);
    int port = 0;
    if (in >> port && port > 0) return port;
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      pid = -1;
      return 0;
    }
    std::this_thread::sleep_for(step);
  }
  return 0;
}

int StopWithSigterm(pid_t& pid) {
  if (pid <= 0) return -1;
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  pid = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace ksearch::e2e
