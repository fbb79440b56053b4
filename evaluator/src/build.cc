// Build(): compile, binary checks, machine-code inspection, fingerprint, with a
// content-addressed artifact cache: work_dir/cache/<key>/{kernel.*, kernel.so,
// build.json}. key = sha256(backend, arch, flags, compiler version, kernel ABI
// header, source). A cache entry is published by renaming a finished temporary
// folder, so concurrent builds of the same key never see half an entry.
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "compile.h"
#include "ksearch/core/file_text.h"
#include "ksearch/core/sha256.h"
#include "ksearch/evaluator/evaluator.h"
#include "ksearch/evaluator/task.h"
#include "machine_code.h"
#if KSEARCH_HAVE_BINARY_CHECK
#include "ksearch/evaluator/binary_check.h"
#endif

namespace fs = std::filesystem;

namespace ksearch::evaluator {
namespace {

// The whole file, or nothing when it cannot be read: a missing cache record is
// a cache miss, and the artifact was just written by the compiler.
std::string ReadAll(const std::string& path) { return ReadFileText(path).value_or(""); }

BuildResult Fail(VerdictKind kind, std::string reason, std::string detail) {
  BuildResult r;
  r.ok = false;
  r.verdict = Verdict{kind, std::move(reason), std::move(detail)};
  return r;
}

// The build's part of the packet's environment (packet.cc merges it).
nlohmann::json BuildEnvironment(const std::string& compiler_version) {
  return {{"compiler_version", compiler_version}};
}

std::string FirstLines(const std::string& log, size_t max_chars) {
  return log.size() <= max_chars ? log : log.substr(0, max_chars) + "\n[... truncated]";
}

std::string UniqueSuffix() {
  static std::atomic<uint64_t> counter{0};
  return std::to_string(getpid()) + "-" + std::to_string(counter.fetch_add(1));
}

}  // namespace

BuildResult Build(const BuildRequest& req, ProcessLauncher& launcher) {
  return Build(req, launcher, Tools::FromEnvironment());
}

BuildResult Build(const BuildRequest& request, ProcessLauncher& launcher, const Tools& tools) {
  BuildRequest req = request;
  MakePathsAbsolute(req);
  auto task = LoadTask(req.task_dir);
  if (!task.ok()) return Fail(VerdictKind::kInfraError, "bad_task", task.status().message());
  std::string backend(BackendName(req.backend));
  if (!task->HasBackend(backend))
    return Fail(VerdictKind::kInfraError, "backend_unsupported", "task " + task->name + " has no backend " + backend);
  if (req.work_dir.empty()) return Fail(VerdictKind::kInfraError, "no_work_dir", "BuildRequest.work_dir is empty");

  std::string compiler = CompilerFor(tools, req.backend);
  std::string version = CompilerVersion(compiler, launcher);
  if (version.empty())
    return Fail(VerdictKind::kInfraError, "compiler_missing", "cannot run '" + compiler + " --version'");

  Sha256 key;
  key.Update(backend + "\n" + req.arch + "\n" + version + "\n" + (tools.binary_checks ? "checked\n" : "trusted\n"));
  for (auto& l : task->allowed_libraries) key.Update("lib:" + l + "\n");
  for (auto& f : CompileFlags(req.backend, req.arch)) key.Update(f + "\n");
  key.Update(ReadAll(KSEARCH_EVALUATOR_INCLUDE_DIR "/ksearch/kernel_abi.h"));
  key.Update("fingerprint v" + std::to_string(kFingerprintVersion) + "\n");
  key.Update(req.source);
  std::string cache_key = key.HexDigest();

  fs::path cache_dir = fs::path(req.work_dir) / "cache" / cache_key;
  std::error_code ec;
  if (fs::exists(cache_dir / "build.json", ec)) {
    try {
      BuildResult cached = nlohmann::json::parse(ReadAll((cache_dir / "build.json").string())).get<BuildResult>();
      cached.evidence["compile"]["cached"] = true;
      cached.evidence["environment"] = BuildEnvironment(version);  // entries older than the section lack it
      // Expected paths are per request: recheck them against the cached histogram.
      MachineCode mc;
      for (auto& [fam, n] : cached.evidence["machine_code"].value("families", nlohmann::json::object()).get<std::map<std::string, int64_t>>())
        mc.families[fam] = n;
      cached.evidence["machine_code"]["expected_paths"] = CheckExpectedPaths(mc, req.expected_paths);
      cached.artifact_path = (cache_dir / "kernel.so").string();
      return cached;
    } catch (const std::exception&) {
      // Unreadable entry: rebuild below (it will be replaced).
    }
  }

  fs::path tmp = fs::path(req.work_dir) / "cache" / (cache_key + ".tmp-" + UniqueSuffix());
  fs::create_directories(tmp, ec);
  if (ec) return Fail(VerdictKind::kInfraError, "work_dir", "cannot create " + tmp.string() + ": " + ec.message());
  std::string src_path = (tmp / SourceFileName(req.backend)).string();
  std::string lib_path = (tmp / "kernel.so").string();
  { std::ofstream(src_path, std::ios::binary) << req.source; }

  CompileOutput co = CompileLibrary(tools, req.backend, req.arch, src_path, lib_path, req.compile_timeout_s, launcher,
                                    req.backend == Backend::kHost ? std::vector<std::string>{} : task->allowed_libraries);
  BuildResult r;
  r.source_hash = Sha256Hex(req.source);
  std::vector<std::string> shown = co.argv;
  for (auto& a : shown) if (a.rfind(tmp.string(), 0) == 0) a = fs::path(a).filename().string();
  r.evidence["environment"] = BuildEnvironment(version);
  r.evidence["compile"] = {{"command", shown}, {"seconds", co.seconds}, {"compiler_version", version},
                           {"log", FirstLines(co.log, 16000)}, {"resources", co.resources}, {"cached", false},
                           {"cache_key", cache_key}};
  if (!co.ok) {
    fs::remove_all(tmp, ec);
    r.ok = false;
    if (co.timed_out) r.verdict = {VerdictKind::kCompileTimeout, "", "compiler killed after " + std::to_string(req.compile_timeout_s) + " s"};
    else if (co.compiler_missing) r.verdict = {VerdictKind::kInfraError, "compiler_missing", co.log};
    else r.verdict = {VerdictKind::kCompileError, "", FirstLines(co.log, 300)};
    return r;
  }

#if KSEARCH_HAVE_BINARY_CHECK
  if (!tools.binary_checks) {
    r.evidence["static"] = {{"skipped", "trusted task file"}};
  } else {
  BinaryCheckOptions bo;
  bo.backend = req.backend;
  bo.allowed_libraries = task->allowed_libraries;
  bo.allowlist_dir = KSEARCH_ALLOWLIST_DIR;
  BinaryCheckReport bc = CheckBinary(lib_path, bo, launcher);
  r.evidence["static"] = bc.ToJson();
  if (!bc.ok) {
    fs::remove_all(tmp, ec);
    r.ok = false;
    std::string detail;
    for (auto& v : bc.violations) detail += (detail.empty() ? "" : "; ") + v;
    r.verdict = {VerdictKind::kRejectedStatic, bc.reason, detail};
    return r;
  }
  }
#else
  // TODO(evalh): binary checks land with evaluator/src/checks/ (helper honesth).
  r.evidence["static"] = {{"skipped", "binary checks not built in"}};
#endif

  std::string dis = req.backend == Backend::kCuda ? tools.cuobjdump : tools.objdump;
  MachineCode mc = InspectLibrary(dis, tools.objdump, req.backend, lib_path, launcher);
  r.evidence["machine_code"] = mc.ToJson();
  r.evidence["machine_code"]["expected_paths"] = CheckExpectedPaths(mc, req.expected_paths);
  r.machine_code_hash = mc.fingerprint;

  r.ok = true;  // r.verdict stays default: it is meaningful only when ok == false
  r.artifact_path = (cache_dir / "kernel.so").string();
  // Run() compares a cached trusted library (the reference) with this hash.
  r.evidence["compile"]["artifact_sha256"] = Sha256Hex(ReadAll(lib_path));
  {
    BuildResult stored = r;
    std::ofstream(tmp / "build.json") << nlohmann::json(stored).dump(1);
  }
  fs::rename(tmp, cache_dir, ec);
  if (ec) {
    // Another build published the same key first; ours is identical by construction.
    fs::remove_all(tmp, ec);
  }
  return r;
}

}  // namespace ksearch::evaluator
