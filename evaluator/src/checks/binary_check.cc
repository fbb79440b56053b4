// CheckBinary (ksearch/evaluator/binary_check.h): allowlisted imports and
// needed libraries, no shadowing exports, no raw system calls in host code.
#include "ksearch/evaluator/binary_check.h"

#include <glob.h>
#include <unistd.h>

#include <map>
#include <mutex>
#include <set>

#include "checks/allowlist.h"
#include "checks/elf_inspect.h"
#include "checks/symbol_categories.h"

namespace ksearch::evaluator {
namespace {

using checks::DynamicSymbol;

// Library folders searched for trusted sonames. The candidate's RUNPATH is never
// used: a candidate must not choose which file is "trusted".
const char* const kLibraryDirs[] = {
    "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64",
    "/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib", "/opt/rocm/lib",
};

// Symbols the static linker defines in every shared object.
const std::set<std::string> kLinkerExports = {"_init", "_fini", "_edata", "_end", "__bss_start"};

std::vector<std::string> ExpandGlob(const std::string& pattern) {
  std::vector<std::string> out;
  glob_t g;
  if (glob(pattern.c_str(), 0, nullptr, &g) == 0)
    for (size_t i = 0; i < g.gl_pathc; ++i) out.push_back(g.gl_pathv[i]);
  globfree(&g);
  return out;
}

std::string ResolveSoname(const std::string& soname) {
  if (soname.find('/') != std::string::npos) return "";
  for (const char* dir : kLibraryDirs) {
    std::string p = std::string(dir) + "/" + soname;
    if (access(p.c_str(), R_OK) == 0) return p;
  }
  return "";
}

std::vector<std::string> DefaultTrustedBinaries(Backend backend) {
  std::vector<std::string> out;
  for (const char* so : {"libc.so.6", "libm.so.6", "libstdc++.so.6", "libgcc_s.so.1"}) {
    std::string p = ResolveSoname(so);
    if (!p.empty()) out.push_back(p);
  }
  const char* gpu_glob = backend == Backend::kCuda  ? "libcudart.so.[0-9]*"
                         : backend == Backend::kHip ? "libamdhip64.so.[0-9]*"
                                                    : nullptr;
  if (gpu_glob) {
    for (const char* dir : kLibraryDirs) {
      auto found = ExpandGlob(std::string(dir) + "/" + gpu_glob);
      if (!found.empty()) {
        out.push_back(found.front());
        break;
      }
    }
  }
  return out;
}

// Defined symbols per trusted binary, read once per process. Trusted binaries
// do not change while an evaluator runs; guarded by mu.
std::mutex g_trusted_mu;
std::map<std::string, std::set<std::string>> g_trusted_cache;

Result<std::set<std::string>> TrustedExports(const std::string& path, ProcessLauncher& launcher) {
  {
    std::lock_guard<std::mutex> lock(g_trusted_mu);
    auto it = g_trusted_cache.find(path);
    if (it != g_trusted_cache.end()) return it->second;
  }
  auto syms = checks::ReadDefinedSymbols(path, launcher);
  if (!syms.ok()) return syms.status();
  std::lock_guard<std::mutex> lock(g_trusted_mu);
  g_trusted_cache[path] = *syms;
  return *syms;
}

std::string Basename(const std::string& p) {
  size_t s = p.rfind('/');
  return s == std::string::npos ? p : p.substr(s + 1);
}

std::string WithCategory(const std::string& what, const std::string& name) {
  std::string cat = checks::SymbolCategory(name);
  return cat.empty() ? what : what + " (" + cat + ")";
}

}  // namespace

nlohmann::json BinaryCheckReport::ToJson() const {
  return {{"ok", ok},           {"reason", reason},   {"imports", imports},
          {"exports", exports}, {"needed", needed},   {"violations", violations},
          {"allowlists", allowlists}};
}

BinaryCheckReport CheckBinary(const std::string& library_path, const BinaryCheckOptions& options,
                              ProcessLauncher& launcher) {
  BinaryCheckReport report;
  auto allow = checks::SymbolAllowlist::LoadFor(
      options.allowlist_dir, std::string(BackendName(options.backend)), options.allowed_libraries);
  if (!allow.ok()) {
    report.reason = "allowlist_error";
    report.violations.push_back(allow.status().ToString());
    return report;
  }
  report.allowlists = allow->origins();

  auto info = checks::ReadDynamicInfo(library_path, launcher);
  if (!info.ok()) {
    report.reason = "unreadable_binary";
    report.violations.push_back(info.status().message());
    return report;
  }
  for (const auto& s : info->imports) report.imports.push_back(s.name);
  for (const auto& s : info->exports) report.exports.push_back(s.name);
  report.needed = info->needed;

  std::map<std::string, std::vector<std::string>> by_reason;

  for (const auto& s : info->imports) {
    if (!allow->AllowsSymbol(s.name))
      by_reason["forbidden_import"].push_back(
          WithCategory("imports " + s.name + ", not in the allowlist", s.name));
  }

  std::vector<std::string> trusted = DefaultTrustedBinaries(options.backend);
  for (const auto& so : info->needed) {
    if (!allow->AllowsNeeded(so)) {
      by_reason["forbidden_library"].push_back("needs " + so + ", not in the allowlist");
    } else if (std::string p = ResolveSoname(so); !p.empty()) {
      trusted.push_back(p);
    }
  }
  trusted.insert(trusted.end(), options.trusted_binaries.begin(), options.trusted_binaries.end());

  // Which trusted binary defines each name (first wins).
  std::map<std::string, std::string> trusted_defs;
  for (const auto& path : trusted) {
    auto syms = TrustedExports(path, launcher);
    if (!syms.ok()) {
      report.reason = "allowlist_error";
      report.violations.push_back("cannot read trusted binary: " + syms.status().message());
      return report;
    }
    for (const auto& n : *syms) trusted_defs.emplace(n, Basename(path));
  }

  bool has_entry = false;
  for (const auto& s : info->exports) {
    if (s.name == "ks_run") {
      has_entry = s.type == 'T' || s.type == 't';
      continue;
    }
    if (kLinkerExports.count(s.name)) continue;
    auto it = trusted_defs.find(s.name);
    if (it != trusted_defs.end()) {
      by_reason["shadowing_export"].push_back(
          WithCategory("exports " + s.name + ", which shadows " + it->second, s.name));
    } else if (checks::IsReservedName(s.name)) {
      by_reason["shadowing_export"].push_back(
          WithCategory("exports reserved runtime name " + s.name, s.name));
    } else if (s.name.rfind("_Z", 0) != 0) {
      // C++ (mangled) exports are inline/template instantiations or the candidate's
      // own helpers; none is defined by a trusted binary (checked above). A
      // C-linkage export other than ks_run has no purpose in the ABI.
      by_reason["shadowing_export"].push_back("exports C symbol " + s.name +
                                              "; only ks_run may have C linkage");
    }
  }
  if (!has_entry) by_reason["missing_entry"].push_back("does not define the function ks_run");

  auto sites = checks::FindRawSyscalls(library_path, launcher);
  if (!sites.ok()) {
    report.reason = "unreadable_binary";
    report.violations.push_back(sites.status().message());
    return report;
  }
  for (const auto& site : *sites) by_reason["raw_syscall"].push_back(site.ToString());

  for (const char* r : {"forbidden_import", "forbidden_library", "shadowing_export",
                        "raw_syscall", "missing_entry"}) {
    auto it = by_reason.find(r);
    if (it == by_reason.end()) continue;
    if (report.reason.empty()) report.reason = r;
    for (const auto& v : it->second) report.violations.push_back(std::string(r) + ": " + v);
  }
  report.ok = report.reason.empty();
  return report;
}

}  // namespace ksearch::evaluator
