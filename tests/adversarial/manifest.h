// The adversarial-suite manifest (tests/adversarial/cases.yaml) and the rule
// that decides whether an observed verdict meets a case's expectation.
// Thread-safety: values; LoadManifest reads one file.
#pragma once

#include <string>
#include <vector>

#include "ksearch/core/status.h"
#include "ksearch/core/verdict.h"

namespace ksearch::adversarial {

struct Case {
  std::string id;
  std::string file;      // absolute path of the kernel source
  std::string task;      // task folder name under configs/tasks
  std::string backend;   // host | cuda
  std::vector<int> hacks;  // HACKS.md rows; empty for a legitimate kernel
  std::string expect;    // "pass" or "kind{reason} | kind{reason} ..."
  std::string stage;     // build | run
  std::string known_gap; // empty unless the evaluator is known to miss it
  bool legit() const { return expect == "pass"; }
};

// Loads and validates the manifest; errors name "<file>:<line>: <field>: <what>".
// `repo_root` resolves "configs/..." paths; other paths are relative to the
// manifest's folder. Every file must exist; ids must be unique.
Result<std::vector<Case>> LoadManifest(const std::string& path, const std::string& repo_root);

// True when `verdict` meets `expect`: "pass" accepts any passing verdict
// (improved, no_gain, slower, new_best); otherwise one of the " | "-separated
// wire forms must equal verdict.ToString().
bool MeetsExpectation(const std::string& expect, const Verdict& verdict);

}  // namespace ksearch::adversarial
