// ksearch-runner SPEC.json: runs ONE kernel library in this process (DESIGN.md
// section 5). It generates inputs from the seeds in the spec (into the device
// buffers: on the CUDA backend by a kernel on the device, Device::Generate),
// poisons outputs before every call (0xA5; 0xFF for the repeated call of the
// determinism check), moves buffers between calls, gives every timed buffer set its own
// inputs and stamps them before every timed call (no two calls see the same
// content), times calls, and writes raw outputs plus result.json into
// spec.out_dir. It never compares anything: the trusted side (Run) runs the
// reference in another runner ("trusted" mode, which also digests the inputs
// it generates before each call and computes the reference of every checked
// timed call) and checks the files.
// A candidate run confines itself with Landlock before loading the library.
// Progress is written to out_dir/progress so a crash can be located.
// Exit codes: runner_spec.h.
#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "checks/fs_confine.h"
#include "inputs.h"
#include "ksearch/kernel_abi.h"
#include "runner/device.h"
#include "runner_spec.h"
#include "stats.h"

namespace ksearch::evaluator {
namespace {

using KsRun = int (*)(const ks_args*);

struct Runner {
  RunnerSpec spec;
  std::unique_ptr<Device> dev;
  KsRun ks_run = nullptr;
  // Wall seconds per phase of this runner (result.json "phases"), so an
  // evaluation's overhead can be located: inputs, upload, poison, call,
  // dump, digest, stamp.
  std::map<std::string, double> phases;
  struct PhaseTimer {
    double& acc;
    std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
    ~PhaseTimer() { acc += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); }
  };
  PhaseTimer Phase(const char* name) { return PhaseTimer{phases[name]}; }

  [[noreturn]] void Die(int code, const std::string& what) {
    Progress("fatal: " + what);
    std::cerr << "ksearch-runner: " << what << "\n";
    std::fflush(nullptr);
    std::_Exit(code);
  }
  void Progress(const std::string& what) {
    std::ofstream(spec.out_dir + "/progress", std::ios::app) << what << "\n";
  }
  void Check(const std::string& err, const char* where) {
    if (!err.empty()) Die(kRunnerExitDeviceFault, std::string(where) + ": " + err);
  }
  // Writes `data` with pwrite(2) in fixed pieces on several threads (the
  // copy into the page cache is the cost), no intermediate stream buffer.
  void WriteFile(const std::string& name, const uint8_t* data, size_t bytes) {
    std::string path = spec.out_dir + "/" + name;
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) Die(kRunnerExitUsage, "cannot write " + name);
    constexpr size_t kPiece = size_t(8) << 20;
    std::atomic<bool> failed{false};
    ParallelChunks(static_cast<int64_t>((bytes + kPiece - 1) / kPiece), [&](int64_t c) {
      size_t off = static_cast<size_t>(c) * kPiece, end = std::min(bytes, off + kPiece);
      while (off < end && !failed) {
        ssize_t n = ::pwrite(fd, data + off, end - off, static_cast<off_t>(off));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) failed = true;
        else off += static_cast<size_t>(n);
      }
    });
    if (::close(fd) != 0 || failed) Die(kRunnerExitUsage, "cannot write " + name);
  }
  // Host staging buffer for downloads (outputs to dump, inputs to digest),
  // reused across calls: pinned on CUDA, so no allocation or zero-fill per fetch.
  uint8_t* stage_ = nullptr;
  size_t stage_bytes_ = 0;
  bool stage_pinned_ = false;
  // Releases the staging buffer on the normal exit path (a Die() exits at
  // once and leaves it to the process's end).
  ~Runner() {
    if (stage_) stage_pinned_ ? dev->FreeHost(stage_) : std::free(stage_);
  }

  // One set of device buffers for a shape.
  struct Buffers {
    std::vector<void*> in, out;
    void* workspace = nullptr;
    void* spacer = nullptr;  // shifts later allocations so addresses move
  };
  Buffers Allocate(const RunnerShape& s, size_t spacer_bytes) {
    Buffers b;
    b.spacer = dev->Alloc(spacer_bytes);
    for (auto& t : s.inputs) b.in.push_back(dev->Alloc(t.Numel() * DTypeSize(DType(t.dtype))));
    for (auto& t : s.outputs) b.out.push_back(dev->Alloc(t.Numel() * DTypeSize(DType(t.dtype))));
    if (s.workspace_bytes > 0) b.workspace = dev->Alloc(s.workspace_bytes);
    for (void* p : b.in) if (!p) Die(kRunnerExitDeviceFault, "allocation failed");
    for (void* p : b.out) if (!p) Die(kRunnerExitDeviceFault, "allocation failed");
    return b;
  }
  void Release(Buffers& b) {
    for (void* p : b.in) dev->Free(p);
    for (void* p : b.out) dev->Free(p);
    if (b.workspace) dev->Free(b.workspace);
    if (b.spacer) dev->Free(b.spacer);
  }
  Distribution Dist(const RunnerTensor& t, int dist_index) {
    auto dist = ParseDistribution(t.dists.empty() ? "normal(0,1)" : t.dists[dist_index % t.dists.size()]);
    if (!dist.ok()) Die(kRunnerExitUsage, dist.status().ToString());
    return *dist;
  }
  static size_t InputBytes(const RunnerShape& s, size_t i) {
    return static_cast<size_t>(s.inputs[i].Numel()) * DTypeSize(DType(s.inputs[i].dtype));
  }
  // Generates the inputs of `seed` into b.in, where the kernel reads them,
  // every tensor from distribution `dist_index` of its list. CUDA: by a kernel
  // on the device (both CUDA runner processes run the same one, so the trusted
  // and the candidate process see the same bytes); host: FillTensor.
  void GenInputs(const RunnerShape& s, Buffers& b, uint64_t seed, int dist_index) {
    auto timer = Phase("inputs_s");
    for (size_t i = 0; i < s.inputs.size(); ++i) {
      const RunnerTensor& t = s.inputs[i];
      Check(dev->Generate(b.in[i], DType(t.dtype), t.Numel(), Dist(t, dist_index), TensorSeed(seed, static_cast<int>(i))),
            "generate inputs");
    }
  }
  void TrialInputs(const RunnerShape& s, Buffers& b, int trial) {
    GenInputs(s, b, s.trial_seeds.at(trial), trial);
  }
  // Device-to-device copy of every input tensor (upload_s: putting generated
  // inputs into the buffers of another call).
  void CopyInputs(const RunnerShape& s, const std::vector<void*>& from, const std::vector<void*>& to) {
    auto timer = Phase("upload_s");
    for (size_t i = 0; i < s.inputs.size(); ++i) Check(dev->Copy(to[i], from[i], InputBytes(s, i)), "copy inputs");
  }
  // One stamp per input of a timed buffer set (values from dists[0], like the set).
  std::vector<TensorStamp> MakeStamp(const RunnerShape& s, uint64_t set_seed, uint64_t call) {
    std::vector<TensorStamp> out;
    for (size_t i = 0; i < s.inputs.size(); ++i) {
      const RunnerTensor& t = s.inputs[i];
      out.push_back(MakeTensorStamp(DType(t.dtype), t.Numel(), Dist(t, 0), StampSeed(set_seed, call, static_cast<int>(i))));
    }
    return out;
  }
  // Appends the copies that write `stamp` (one per input) over the inputs at `in`.
  static void StampOps(const RunnerShape& s, const std::vector<void*>& in, const std::vector<TensorStamp>& stamp,
                       std::vector<PatchOp>* ops) {
    for (size_t i = 0; i < stamp.size(); ++i) {
      const size_t es = DTypeSize(DType(s.inputs[i].dtype));
      size_t off = 0;
      for (auto& r : stamp[i].ranges) {
        ops->push_back({static_cast<uint8_t*>(in[i]) + r.first * es, stamp[i].values.data() + off, r.count * es, false});
        off += r.count * es;
      }
    }
  }
  void Poison(const RunnerShape& s, Buffers& b, uint8_t pattern = kPoisonByte) {
    auto timer = Phase("poison_s");
    for (size_t i = 0; i < s.outputs.size(); ++i)
      Check(dev->Fill(b.out[i], pattern, s.outputs[i].Numel() * DTypeSize(DType(s.outputs[i].dtype))), "poison");
  }
  // Downloads `bytes` from device pointer `p` into the staging buffer; the
  // result is valid until the next Fetch.
  const uint8_t* Fetch(const void* p, size_t bytes) {
    if (bytes > stage_bytes_) {
      if (stage_) stage_pinned_ ? dev->FreeHost(stage_) : std::free(stage_);
      stage_bytes_ = std::max(bytes, 2 * stage_bytes_);
      stage_ = static_cast<uint8_t*>(dev->AllocHost(stage_bytes_));
      stage_pinned_ = stage_ != nullptr;
      if (!stage_) stage_ = static_cast<uint8_t*>(std::malloc(stage_bytes_));  // pageable fallback
      if (!stage_) Die(kRunnerExitDeviceFault, "host staging allocation failed");
    }
    if (bytes) Check(dev->Download(stage_, p, bytes), "download");
    return stage_;
  }
  // FastDigest of each input as it is now in the buffers (read back from the
  // device), joined by '.', in input order (validate.cc recomputes it).
  std::string InputDigest(const RunnerShape& s, Buffers& b) {
    auto timer = Phase("digest_s");
    std::string d;
    for (size_t i = 0; i < s.inputs.size(); ++i) {
      size_t n = InputBytes(s, i);
      if (i) d += '.';
      d += FastDigest(Fetch(b.in[i], n), n);
    }
    return d;
  }
  int Call(const RunnerShape& s, Buffers& b, bool flush, CallTiming* t) {
    std::vector<ks_tensor> in(s.inputs.size()), out(s.outputs.size());
    auto fill = [](ks_tensor& kt, const RunnerTensor& rt, void* data) {
      kt = {};
      kt.data = data;
      kt.dtype = rt.dtype;
      kt.ndim = static_cast<int32_t>(rt.shape.size());
      int64_t stride = 1;
      for (int d = kt.ndim - 1; d >= 0; --d) { kt.shape[d] = rt.shape[d]; kt.stride[d] = stride; stride *= rt.shape[d]; }
    };
    for (size_t i = 0; i < in.size(); ++i) fill(in[i], s.inputs[i], b.in[i]);
    for (size_t i = 0; i < out.size(); ++i) fill(out[i], s.outputs[i], b.out[i]);
    ks_args a{};
    a.inputs = in.data(); a.n_inputs = static_cast<int32_t>(in.size());
    a.outputs = out.data(); a.n_outputs = static_cast<int32_t>(out.size());
    a.iscalars = s.iscalars.data(); a.n_iscalars = static_cast<int32_t>(s.iscalars.size());
    a.fscalars = s.fscalars.data(); a.n_fscalars = static_cast<int32_t>(s.fscalars.size());
    a.stream = dev->Stream();
    a.workspace = b.workspace; a.workspace_bytes = s.workspace_bytes;
    int rc = 0;
    CallTiming local;
    auto timer = Phase("call_s");
    Check(dev->TimedCall([&] { return ks_run(&a); }, flush, t ? t : &local, &rc), "kernel");
    if (rc != 0) Die(kRunnerExitKernelError, "ks_run returned " + std::to_string(rc) + " on shape " + s.name);
    return rc;
  }
  void DumpOutputs(const RunnerShape& s, Buffers& b, const std::function<std::string(int)>& name) {
    auto timer = Phase("dump_s");
    for (size_t o = 0; o < s.outputs.size(); ++o) {
      size_t n = s.outputs[o].Numel() * DTypeSize(DType(s.outputs[o].dtype));
      WriteFile(name(static_cast<int>(o)), Fetch(b.out[o], n), n);
    }
  }

  nlohmann::json Verify(int si, const RunnerShape& s) {
    nlohmann::json trials = nlohmann::json::array();
    for (size_t t = 0; t < s.trial_seeds.size(); ++t) {
      Progress("verify shape=" + s.name + " trial=" + std::to_string(t));
      Buffers b = Allocate(s, 4096 * (t + 1));
      TrialInputs(s, b, static_cast<int>(t));
      // The trusted runner reports the digest of the inputs it generated, read
      // back from its buffers before the call (Validate checks both runners'
      // after-call digests against it).
      nlohmann::json tj = nlohmann::json::object();
      if (spec.mode == "trusted") tj["input_digest_before"] = InputDigest(s, b);
      // The repeated call is the candidate's determinism and poison check
      // (compared with the reference's trial 0); the reference has no use for
      // one. Its buffers get a copy of the inputs taken before the first call.
      const bool repeat = t == 0 && s.repeat_trial0 && spec.mode != "trusted";
      Buffers b2;
      if (repeat) {
        b2 = Allocate(s, 8192);
        CopyInputs(s, b.in, b2.in);
      }
      Poison(s, b);
      Call(s, b, false, nullptr);
      DumpOutputs(s, b, [&](int o) { return TrialOutputFile(si, static_cast<int>(t), o); });
      tj["input_digest_after"] = InputDigest(s, b);
      trials.push_back(tj);
      if (repeat) {
        Poison(s, b2, kPoisonByteRepeat);  // second pattern: garbage*0 reads NaN here
        Call(s, b2, false, nullptr);
        DumpOutputs(s, b2, [&](int o) { return RepeatOutputFile(si, o); });
        Release(b2);
      }
      Release(b);
    }
    return trials;
  }

  // A timed buffer set: device buffers, a device copy of its unstamped inputs
  // (`base`, never passed to the kernel) and the stamp currently written over
  // the inputs.
  struct TimedSet {
    Buffers b;
    uint64_t seed = 0;
    std::vector<void*> base;
    std::vector<TensorStamp> stamp;
  };
  // Restores the set's previous stamp from the base copy (device to device)
  // and writes the stamp of `call` (host to device): after it the set holds
  // base + stamp(call) and nothing else.
  void Restamp(const RunnerShape& s, TimedSet& ts, uint64_t call) {
    auto timer = Phase("stamp_s");
    std::vector<PatchOp> ops;
    for (size_t i = 0; i < ts.stamp.size(); ++i) {
      const size_t es = DTypeSize(DType(s.inputs[i].dtype));
      for (auto& r : ts.stamp[i].ranges)
        ops.push_back({static_cast<uint8_t*>(ts.b.in[i]) + r.first * es, static_cast<const uint8_t*>(ts.base[i]) + r.first * es,
                       r.count * es, true});
    }
    std::vector<TensorStamp> next = MakeStamp(s, ts.seed, call);
    StampOps(s, ts.b.in, next, &ops);
    Check(dev->Patch(ops), "stamp");
    ts.stamp = std::move(next);
  }

  // Benchmark. Every buffer set holds its own inputs (timed_seeds); before
  // every call, warm-up included, the set's inputs are re-stamped (outside the
  // timed region; TimedCall flushes caches after it). After the adaptive loop
  // the last call of every set uses the check stamp: those calls are timed like
  // the others and their outputs dumped for the trusted comparison.
  nlohmann::json Time(int si, const RunnerShape& s) {
    Progress("time shape=" + s.name);
    const RunnerTiming& tm = spec.timing;
    if (s.timed_seeds.empty()) Die(kRunnerExitUsage, "shape " + s.name + " is timed but has no timed_seeds");
    const int sets = static_cast<int>(s.timed_seeds.size());
    std::vector<TimedSet> ts(sets);
    for (int k = 0; k < sets; ++k) {
      ts[k].b = Allocate(s, 4096 * (k + 3));
      ts[k].seed = s.timed_seeds[k];
      GenInputs(s, ts[k].b, ts[k].seed, 0);
      for (size_t i = 0; i < s.inputs.size(); ++i) {
        ts[k].base.push_back(dev->Alloc(InputBytes(s, i)));
        if (!ts[k].base.back()) Die(kRunnerExitDeviceFault, "allocation failed");
      }
      CopyInputs(s, ts[k].b.in, ts[k].base);
    }
    uint64_t call = 0;
    auto timed = [&](int k, uint64_t stamp_call, CallTiming* t) {
      Restamp(s, ts[k], stamp_call);
      Poison(s, ts[k].b);
      Call(s, ts[k].b, true, t);
    };
    for (int w = 0; w < tm.warmup; ++w) timed(w % sets, call++, nullptr);
    std::vector<double> dev_us, host_us;
    int gate_expired = 0;
    auto start = std::chrono::steady_clock::now();
    const int loop_max = std::max(tm.min_reps, tm.max_reps - sets);
    for (int rep = 0; rep < loop_max; ++rep) {
      CallTiming t;
      timed(rep % sets, call++, &t);
      dev_us.push_back(t.device_us);
      host_us.push_back(t.host_us);
      gate_expired += t.gate_expired;
      double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (rep + 1 >= tm.min_reps && (MedianCiRel(dev_us) < tm.target_ci || elapsed > tm.cap_s)) break;
    }
    for (int k = 0; k < sets; ++k) {
      CallTiming t;
      timed(k, kCheckCall, &t);
      dev_us.push_back(t.device_us);
      host_us.push_back(t.host_us);
      gate_expired += t.gate_expired;
      DumpOutputs(s, ts[k].b, [&](int o) { return TimedOutputFile(si, k, o); });
    }
    nlohmann::json digests = nlohmann::json::array();
    for (auto& t : ts) {
      digests.push_back(InputDigest(s, t.b));
      Release(t.b);
      for (void* p : t.base) dev->Free(p);
    }
    Summary d = Summarize(dev_us), h = Summarize(host_us);
    return {{"median_us", d.median}, {"p10_us", d.p10}, {"p90_us", d.p90}, {"mean_us", d.mean},
            {"min_us", d.min}, {"reps", d.n}, {"ci_rel", MedianCiRel(dev_us)},
            {"host_median_us", h.median}, {"host_p90_us", h.p90}, {"gate_expired_calls", gate_expired},
            {"timed_sets", sets}, {"dumped_timed", sets},
            {"input_digests_after", digests}};
  }

  // Trusted mode: the reference of the checked call of every timed buffer set
  // (base inputs of the set + the check stamp), so the candidate's timed
  // outputs are compared with outputs for exactly their inputs.
  nlohmann::json TimedChecks(int si, const RunnerShape& s) {
    nlohmann::json out = nlohmann::json::array();
    for (size_t k = 0; k < s.timed_seeds.size(); ++k) {
      Progress("timed check shape=" + s.name + " set=" + std::to_string(k));
      Buffers b = Allocate(s, 4096 * (k + 3));
      GenInputs(s, b, s.timed_seeds[k], 0);
      {
        auto timer = Phase("stamp_s");
        const std::vector<TensorStamp> stamp = MakeStamp(s, s.timed_seeds[k], kCheckCall);  // outlives the patch
        std::vector<PatchOp> ops;
        StampOps(s, b.in, stamp, &ops);
        Check(dev->Patch(ops), "stamp");
      }
      // The digest of the stamped inputs it made, read back before the call.
      std::string before = InputDigest(s, b);
      Poison(s, b);
      Call(s, b, false, nullptr);
      DumpOutputs(s, b, [&](int o) { return TimedOutputFile(si, static_cast<int>(k), o); });
      out.push_back({{"input_digest_before", before}, {"input_digest_after", InputDigest(s, b)}});
      Release(b);
    }
    return out;
  }

  nlohmann::json Profile() {
    int si = spec.profile_shape;
    const RunnerShape& s = spec.shapes.at(si);
    Buffers b = Allocate(s, 4096);
    TrialInputs(s, b, 0);
    Poison(s, b);
    Call(s, b, false, nullptr);  // warm-up outside the profiled range
    Poison(s, b);
    dev->RangePush("ks_candidate");
    Call(s, b, false, nullptr);
    dev->RangePop();
    Release(b);
    return {{"profiled_shape", s.name}};
  }

  // Landlock before dlopen (constructors and IFUNC resolvers of the library run
  // inside dlopen). Where the kernel has no Landlock the run goes on and the
  // result says so; any other failure is fatal (infra_error), never silent.
  nlohmann::json Confine() {
    checks::ConfineOptions o = checks::DefaultRunnerConfinement(spec.library);
    o.read_write.push_back(spec.out_dir);
    Status st = checks::ConfineFilesystem(o);
    nlohmann::json j = {{"requested", true}, {"applied", st.ok()}, {"read_only", o.read_only}, {"read_write", o.read_write}};
    if (auto abi = checks::LandlockAbiVersion(); abi.ok()) j["landlock_abi"] = *abi;
    if (!st.ok()) {
      j["error"] = st.ToString();
      if (st.code() != Status::Code::kUnavailable) Die(kRunnerExitUsage, "confinement failed: " + st.ToString());
    }
    Progress(st.ok() ? "confined" : "not confined: " + st.ToString());
    return j;
  }

  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  int Main(const char* spec_path) {
    std::ifstream in(spec_path);
    nlohmann::json j;
    try { in >> j; spec = j.get<RunnerSpec>(); }
    catch (const std::exception& e) { std::cerr << "ksearch-runner: bad spec " << spec_path << ": " << e.what() << "\n"; return kRunnerExitUsage; }
    if (spec.backend == "cuda") dev = MakeCudaDevice(); else dev = MakeHostDevice();
    if (!dev) Die(kRunnerExitNoDevice, "backend " + spec.backend + " not built into this runner");
    if (std::string e = dev->Init(); !e.empty()) Die(kRunnerExitNoDevice, e);
    // Every runner reports the same phases (0 where one does not occur).
    for (const char* k : {"inputs_s", "upload_s", "poison_s", "call_s", "stamp_s", "dump_s", "digest_s"}) phases[k] = 0;
    nlohmann::json result = {{"mode", spec.mode}, {"env_before", dev->Environment()}};
    if (spec.mode == "ceilings") {
      result["ceilings"] = dev->Ceilings();
    } else {
      if (spec.confine) result["confinement"] = Confine();
      void* lib = dlopen(spec.library.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (!lib) Die(kRunnerExitLoad, std::string("dlopen: ") + dlerror());
      ks_run = reinterpret_cast<KsRun>(dlsym(lib, "ks_run"));
      if (!ks_run) Die(kRunnerExitLoad, "library exports no ks_run: " + spec.library);
      if (spec.mode == "profile") {
        result["profile"] = Profile();
      } else {
        nlohmann::json shapes = nlohmann::json::array();
        for (size_t si = 0; si < spec.shapes.size(); ++si) {
          const RunnerShape& s = spec.shapes[si];
          nlohmann::json sj = {{"name", s.name}, {"trials", Verify(static_cast<int>(si), s)}};
          if (s.time && spec.mode == "candidate") sj["timing"] = Time(static_cast<int>(si), s);
          if (s.time && spec.mode == "trusted") sj["timed_checks"] = TimedChecks(static_cast<int>(si), s);
          shapes.push_back(sj);
        }
        result["shapes"] = shapes;
      }
    }
    result["env_after"] = dev->Environment();
    nlohmann::json pj = nlohmann::json::object();
    for (auto& [k, v] : phases) pj[k] = v;
    pj["total_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    result["phases"] = pj;
    std::ofstream out(spec.out_dir + "/result.json");
    out << result.dump(1);
    Progress("done");
    return out ? kRunnerExitOk : kRunnerExitUsage;
  }
};

}  // namespace
}  // namespace ksearch::evaluator

#ifndef KSEARCH_RUNNER_WITH_CUDA
std::unique_ptr<ksearch::evaluator::Device> ksearch::evaluator::MakeCudaDevice() { return nullptr; }
#endif

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: ksearch-runner SPEC.json\n";
    return ksearch::evaluator::kRunnerExitUsage;
  }
  ksearch::evaluator::Runner r;
  return r.Main(argv[1]);
}
