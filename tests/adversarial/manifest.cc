#include "manifest.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <set>

namespace ksearch::adversarial {
namespace {

std::string Where(const std::string& path, const YAML::Node& n) {
  return path + ":" + std::to_string(n.Mark().line + 1);
}

}  // namespace

Result<std::vector<Case>> LoadManifest(const std::string& path, const std::string& repo_root) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  std::string dir = path.substr(0, path.rfind('/'));
  std::vector<Case> cases;
  std::string errors;
  std::set<std::string> ids;
  const std::set<std::string> known = {"id", "file", "task", "backend", "hacks", "expect", "stage",
                                       "known_gap"};
  if (!root["cases"] || !root["cases"].IsSequence())
    return Status::InvalidArgument(path + ": cases: expected a list");
  for (const auto& n : root["cases"]) {
    std::string at = Where(path, n);
    Case c;
    try {
      for (const auto& kv : n)
        if (!known.count(kv.first.as<std::string>()))
          errors += at + ": " + kv.first.as<std::string>() + ": unknown field\n";
      for (const char* req : {"id", "file", "task", "backend", "hacks", "expect", "stage"})
        if (!n[req]) errors += at + ": " + req + ": missing\n";
      if (!n["id"] || !n["file"] || !n["hacks"]) continue;
      c.id = n["id"].as<std::string>();
      std::string f = n["file"].as<std::string>();
      c.file = (f.rfind("configs/", 0) == 0 ? repo_root : dir) + "/" + f;
      c.task = n["task"].as<std::string>("");
      c.backend = n["backend"].as<std::string>("");
      c.hacks = n["hacks"].as<std::vector<int>>();
      c.expect = n["expect"].as<std::string>("");
      c.stage = n["stage"].as<std::string>("");
      c.known_gap = n["known_gap"].as<std::string>("");
    } catch (const YAML::Exception& e) {
      errors += at + ": " + e.msg + "\n";
      continue;
    }
    if (!ids.insert(c.id).second) errors += at + ": id: duplicate \"" + c.id + "\"\n";
    if (access(c.file.c_str(), R_OK) != 0) errors += at + ": file: cannot read " + c.file + "\n";
    if (c.backend != "host" && c.backend != "cuda") errors += at + ": backend: expected host or cuda\n";
    if (c.stage != "build" && c.stage != "run") errors += at + ": stage: expected build or run\n";
    for (int h : c.hacks)
      if (h < 1 || h > 17) errors += at + ": hacks: row " + std::to_string(h) + " is not in HACKS.md\n";
    if (c.legit() != c.hacks.empty())
      errors += at + ": expect: a legitimate kernel (expect: pass) has no hacks rows, a cheat has some\n";
    cases.push_back(c);
  }
  if (!errors.empty()) {
    errors.pop_back();
    return Status::InvalidArgument(errors);
  }
  return cases;
}

bool MeetsExpectation(const std::string& expect, const Verdict& verdict) {
  if (expect == "pass") return IsPassingVerdict(verdict.kind);
  std::string got = verdict.ToString();
  size_t start = 0;
  while (start <= expect.size()) {
    size_t bar = expect.find('|', start);
    std::string alt = expect.substr(start, bar == std::string::npos ? std::string::npos : bar - start);
    size_t b = alt.find_first_not_of(' '), e = alt.find_last_not_of(' ');
    if (b != std::string::npos && alt.substr(b, e - b + 1) == got) return true;
    if (bar == std::string::npos) break;
    start = bar + 1;
  }
  return false;
}

}  // namespace ksearch::adversarial
