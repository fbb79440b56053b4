// Validate(): the trusted-side correctness checks over the runners' files.
// Order of reasons reported (first failing shape wins): unwritten, nan,
// mismatch (verification trials), poison_dependent (the repeated call of
// trial 0, poisoned with the second pattern, against the reference),
// unwritten / nan / mismatch of the checked timed calls (each against the
// reference of its own stamped inputs), input_mutated, nondeterministic,
// constant_output.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "compare.h"
#include "inputs.h"
#include "run_internal.h"

namespace ksearch::evaluator {
namespace {

// Buffers of read dumps are recycled: a fresh multi-MB allocation costs a page
// fault and a zeroed page per 4 KiB on first touch.
struct BytePool {
  std::vector<std::pair<std::unique_ptr<uint8_t[]>, size_t>> spare;
  std::unique_ptr<uint8_t[]> Get(size_t n) {
    for (auto it = spare.begin(); it != spare.end(); ++it)
      if (it->second == n) { auto p = std::move(it->first); spare.erase(it); return p; }
    return std::make_unique_for_overwrite<uint8_t[]>(std::max<size_t>(n, 1));
  }
  void Put(std::unique_ptr<uint8_t[]> p, size_t n) {
    if (spare.size() >= 4) spare.erase(spare.begin());
    spare.emplace_back(std::move(p), n);
  }
};

// The raw bytes of one runner output file (no zero-fill, one copy).
struct Bytes {
  std::unique_ptr<uint8_t[]> data;
  size_t size = 0;
  BytePool* pool = nullptr;
  Bytes() = default;
  Bytes(Bytes&& o) noexcept : data(std::move(o.data)), size(o.size), pool(o.pool) { o.size = 0; }
  Bytes& operator=(Bytes&& o) noexcept {
    if (this != &o) { Recycle(); data = std::move(o.data); size = o.size; pool = o.pool; o.size = 0; }
    return *this;
  }
  ~Bytes() { Recycle(); }
  void Recycle() { if (data && pool) pool->Put(std::move(data), size); data.reset(); }
  bool operator==(const Bytes& o) const { return size == o.size && (size == 0 || std::memcmp(data.get(), o.data.get(), size) == 0); }
};

Result<Bytes> ReadBytes(BytePool& pool, const std::string& path, size_t expect) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::NotFound("missing runner output " + path);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || static_cast<size_t>(st.st_size) != expect) {
    size_t got = static_cast<size_t>(st.st_size);
    ::close(fd);
    return Status::Corruption(path + ": " + std::to_string(got) + " bytes, expected " + std::to_string(expect));
  }
  Bytes b;
  b.size = expect;
  b.pool = &pool;
  b.data = pool.Get(expect);
  // pread(2) in fixed pieces on several threads: the copy out of the page
  // cache is the cost of reading a large dump.
  constexpr size_t kPiece = size_t(8) << 20;
  std::atomic<bool> short_read{false};
  ParallelChunks(static_cast<int64_t>((expect + kPiece - 1) / kPiece), [&](int64_t c) {
    size_t off = static_cast<size_t>(c) * kPiece, end = std::min(expect, off + kPiece);
    while (off < end && !short_read) {
      ssize_t n = ::pread(fd, b.data.get() + off, end - off, static_cast<off_t>(off));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) short_read = true;
      else off += static_cast<size_t>(n);
    }
  });
  ::close(fd);
  if (short_read) return Status::Corruption(path + ": short read, expected " + std::to_string(expect) + " bytes");
  return b;
}

}  // namespace

Validation Validate(const Task& task, const std::vector<ResolvedShape>& shapes, const std::string& ref_dir,
                    const nlohmann::json& ref_result, const std::string& cand_dir, const nlohmann::json& cand_result) {
  Validation v;
  BytePool pool;  // declared before every Bytes that returns to it
  auto fail = [&](VerdictKind kind, const std::string& reason, const std::string& detail) {
    if (v.ok) { v.ok = false; v.verdict = {kind, reason, detail}; }
  };
  // Shape of the two result documents, checked before any indexing.
  for (const nlohmann::json* res : {&ref_result, &cand_result}) {
    bool good = res->contains("shapes") && (*res)["shapes"].is_array() && (*res)["shapes"].size() == shapes.size();
    for (size_t si = 0; good && si < shapes.size(); ++si) {
      const nlohmann::json& sh = (*res)["shapes"][si];
      good = sh.is_object() && sh.contains("trials") && sh["trials"].is_array() &&
             sh["trials"].size() == shapes[si].runner.trial_seeds.size();
    }
    if (!good) {
      fail(res == &ref_result ? VerdictKind::kInfraError : VerdictKind::kCrash, "bad_runner_result",
           "runner result.json does not cover every shape and trial");
      return v;
    }
  }
  for (size_t si = 0; si < shapes.size(); ++si) {
    const ResolvedShape& rs = shapes[si];
    const RunnerShape& s = rs.runner;
    int sidx = static_cast<int>(si);
    nlohmann::json sj = {{"shape", rs.name}, {"held_out", rs.held_out}, {"trials", nlohmann::json::array()}};
    const nlohmann::json& ctrials = cand_result["shapes"][si]["trials"];
    const nlohmann::json& rtrials = ref_result["shapes"][si]["trials"];
    // Outputs of trials 0 and 1 are kept for the determinism and constant-output checks.
    std::vector<std::vector<Bytes>> cand_out(s.trial_seeds.size()), ref_out(s.trial_seeds.size());
    for (size_t t = 0; t < s.trial_seeds.size(); ++t) {
      int tidx = static_cast<int>(t);
      // The trusted runner's digest of the inputs it generated for this trial,
      // taken before the reference call (the same generator code as the
      // candidate runner's, evaluator/src/inputs.cc).
      std::string trusted = rtrials[t].value("input_digest_before", "");
      if (trusted.empty()) {
        fail(VerdictKind::kInfraError, "reference_output", "reference runner reported no input digest at " + rs.name);
        trusted = "(none)";
      }
      nlohmann::json tj = {{"trial", t}, {"seed", s.trial_seeds[t]},
                           {"dist", s.inputs.empty() || s.inputs[0].dists.empty() ? "" : s.inputs[0].dists[t % s.inputs[0].dists.size()]},
                           {"outputs", nlohmann::json::array()}};
      if (rtrials[t].value("input_digest_after", "") != trusted)
        fail(VerdictKind::kInfraError, "reference_mutated_inputs", "reference changed its inputs or input generation differs, shape " + rs.name);
      bool mutated = ctrials[t].value("input_digest_after", "") != trusted;
      tj["input_mutated"] = mutated;
      for (size_t o = 0; o < s.outputs.size(); ++o) {
        DType dt = DType(s.outputs[o].dtype);
        size_t bytes = s.outputs[o].Numel() * DTypeSize(dt);
        auto c = ReadBytes(pool, cand_dir + "/" + TrialOutputFile(sidx, tidx, static_cast<int>(o)), bytes);
        auto r = ReadBytes(pool, ref_dir + "/" + TrialOutputFile(sidx, tidx, static_cast<int>(o)), bytes);
        if (!r.ok()) { fail(VerdictKind::kInfraError, "reference_output", r.status().message()); continue; }
        if (!c.ok()) { fail(VerdictKind::kInfraError, "candidate_output", c.status().message()); continue; }
        CompareResult cr = CompareOutput(c->data.get(), r->data.get(), dt, s.outputs[o].Numel(), task.ToleranceFor(dt));
        nlohmann::json oj = cr.ToJson();
        oj["output"] = task.outputs[o].name;
        tj["outputs"].push_back(oj);
        if (!cr.ok)
          fail(VerdictKind::kIncorrect, cr.reason, task.outputs[o].name + " at " + rs.name + " trial " + std::to_string(t) +
               " (" + tj["dist"].get<std::string>() + "): rel_norm=" + std::to_string(cr.rel_norm) +
               " bad=" + std::to_string(cr.bad_elements) + " unwritten=" + std::to_string(cr.unwritten) +
               " nonfinite=" + std::to_string(cr.nonfinite) + " first_bad=" + std::to_string(cr.first_bad));
        if (t < 2) {
          cand_out[t].push_back(std::move(*c));
          ref_out[t].push_back(std::move(*r));
        }
      }
      sj["trials"].push_back(tj);
      if (mutated) fail(VerdictKind::kIncorrect, "input_mutated", "inputs changed by the call at " + rs.name + " trial " + std::to_string(t));
    }
    // The repeated call of trial 0 had its outputs poisoned with the second
    // pattern (0xFF): a kernel whose result depends on what the output buffer
    // held before the call (garbage * 0, an unwritten element that happened to
    // look right) is right once and wrong here.
    std::vector<Bytes> rep_out(s.outputs.size());
    bool rep_ok = s.repeat_trial0 && cand_out[0].size() == s.outputs.size() && ref_out[0].size() == s.outputs.size();
    for (size_t o = 0; rep_ok && o < s.outputs.size(); ++o) {
      DType dt = DType(s.outputs[o].dtype);
      auto rep = ReadBytes(pool, cand_dir + "/" + RepeatOutputFile(sidx, static_cast<int>(o)), s.outputs[o].Numel() * DTypeSize(dt));
      if (!rep.ok()) { fail(VerdictKind::kInfraError, "candidate_output", rep.status().message()); rep_ok = false; break; }
      CompareResult cr = CompareOutput(rep->data.get(), ref_out[0][o].data.get(), dt, s.outputs[o].Numel(), task.ToleranceFor(dt),
                                       kPoisonByteRepeat);
      nlohmann::json rj = cr.ToJson();
      rj["output"] = task.outputs[o].name;
      rj["poison"] = "0xFF";
      sj["repeat_outputs"].push_back(rj);
      // Poison bytes left in place or NaN (what 0xFF is in every float dtype)
      // where trial 0 was right: the output depends on the poison. A finite
      // mismatch is the same inputs giving another answer: nondeterminism.
      if (!cr.ok)
        fail(VerdictKind::kIncorrect, cr.reason == "mismatch" ? "nondeterministic" : "poison_dependent",
             task.outputs[o].name + " at " + rs.name + ": trial 0 repeated with outputs poisoned 0xFF instead of 0xA5 gives " +
             cr.reason + " (unwritten=" + std::to_string(cr.unwritten) + " nonfinite=" + std::to_string(cr.nonfinite) +
             " bad=" + std::to_string(cr.bad_elements) + " rel_norm=" + std::to_string(cr.rel_norm) + ")");
      rep_out[o] = std::move(*rep);
    }
    // Checked timed calls: the last call of every timed buffer set ran on that
    // set's own inputs plus the check stamp; the trusted runner computed the
    // reference of exactly those inputs.
    const nlohmann::json& timing = cand_result["shapes"][si].value("timing", nlohmann::json::object());
    if (s.time) {
      const nlohmann::json& rchecks = ref_result["shapes"][si].value("timed_checks", nlohmann::json::array());
      const nlohmann::json& cdigests = timing.value("input_digests_after", nlohmann::json::array());
      const size_t sets = s.timed_seeds.size();
      if (rchecks.size() != sets) {
        fail(VerdictKind::kInfraError, "reference_output", "reference runner computed " + std::to_string(rchecks.size()) +
             " timed checks for " + std::to_string(sets) + " buffer sets at " + rs.name);
      } else if (timing.value("dumped_timed", 0) != static_cast<int>(sets) || cdigests.size() != sets) {
        fail(VerdictKind::kCrash, "bad_runner_result", "candidate runner did not report every timed buffer set at " + rs.name);
      } else {
        nlohmann::json tjs = nlohmann::json::array();
        for (size_t k = 0; k < sets; ++k) {
          int kidx = static_cast<int>(k);
          nlohmann::json tk = {{"set", k}, {"seed", s.timed_seeds[k]}, {"outputs", nlohmann::json::array()}};
          std::string expect_in = rchecks[k].value("input_digest_before", "");
          if (rchecks[k].value("input_digest_after", "") != expect_in)
            fail(VerdictKind::kInfraError, "reference_mutated_inputs", "reference changed the inputs of timed set " +
                 std::to_string(k) + " at " + rs.name);
          for (size_t o = 0; o < s.outputs.size(); ++o) {
            DType dt = DType(s.outputs[o].dtype);
            size_t bytes = s.outputs[o].Numel() * DTypeSize(dt);
            auto c = ReadBytes(pool, cand_dir + "/" + TimedOutputFile(sidx, kidx, static_cast<int>(o)), bytes);
            auto r = ReadBytes(pool, ref_dir + "/" + TimedOutputFile(sidx, kidx, static_cast<int>(o)), bytes);
            if (!r.ok()) { fail(VerdictKind::kInfraError, "reference_output", r.status().message()); continue; }
            if (!c.ok()) { fail(VerdictKind::kInfraError, "candidate_output", c.status().message()); continue; }
            CompareResult cr = CompareOutput(c->data.get(), r->data.get(), dt, s.outputs[o].Numel(), task.ToleranceFor(dt));
            nlohmann::json oj = cr.ToJson();
            oj["output"] = task.outputs[o].name;
            tk["outputs"].push_back(oj);
            sj["timed_outputs_ok"] = sj.value("timed_outputs_ok", true) && cr.ok;
            if (!cr.ok)
              fail(VerdictKind::kIncorrect, cr.reason, task.outputs[o].name + " of the checked timed call of buffer set " +
                   std::to_string(k) + " at " + rs.name + ": rel_norm=" + std::to_string(cr.rel_norm) +
                   " bad=" + std::to_string(cr.bad_elements) + " unwritten=" + std::to_string(cr.unwritten) +
                   " nonfinite=" + std::to_string(cr.nonfinite));
          }
          bool mutated = cdigests[k].get<std::string>() != expect_in;
          tk["input_mutated"] = mutated;
          if (mutated) {
            sj["timed_inputs_mutated"] = true;
            fail(VerdictKind::kIncorrect, "input_mutated", "inputs of timed buffer set " + std::to_string(k) +
                 " changed during the timed calls at " + rs.name);
          }
          tjs.push_back(tk);
        }
        sj["timed_checks"] = tjs;
      }
    }
    // Determinism: trial 0 called twice on the same inputs.
    if (rep_ok) {
      bool same = true;
      for (size_t o = 0; o < s.outputs.size(); ++o) same = same && rep_out[o] == cand_out[0][o];
      sj["deterministic"] = same;
      if (!same) fail(VerdictKind::kIncorrect, "nondeterministic", "two calls on the same inputs differ bitwise at " + rs.name);
    }
    // Constant output: identical candidate outputs for different inputs, while the reference's differ.
    if (s.trial_seeds.size() >= 2 && !cand_out[0].empty() && !cand_out[1].empty()) {
      bool cand_same = cand_out[0] == cand_out[1], ref_same = ref_out[0] == ref_out[1];
      sj["constant_output"] = cand_same && !ref_same;
      if (cand_same && !ref_same) fail(VerdictKind::kIncorrect, "constant_output", "outputs do not change with inputs at " + rs.name);
    }
    v.evidence.push_back(sj);
  }
  return v;
}

}  // namespace ksearch::evaluator
