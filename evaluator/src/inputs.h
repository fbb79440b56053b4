// Deterministic input generation and element encode/decode, shared by the
// trusted side and ksearch-runner (both link this code, so the same seed gives
// the same bytes in both processes; the trusted runner digests the inputs it
// generates, to check for mutation without trusting the candidate process).
// The host backend generates inputs with FillTensor; the CUDA backend on the
// device with the counter-based generator of counter_gen.h (CounterParams).
// Thread-safety: pure functions (the f16/fp8 tables are built once, thread-safely).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "counter_gen.h"
#include "ksearch/evaluator/task.h"

namespace ksearch::evaluator {

// Seed of one verification trial (or of the timing inputs, trial 0).
uint64_t TrialSeed(uint64_t eval_seed, int shape_index, int trial);
// Seed of one input tensor within a trial.
uint64_t TensorSeed(uint64_t trial_seed, int input_index);
// Seed of the inputs of timed buffer set `set` of a shape: every buffer set of
// the timed loop holds its own inputs (distinct from each other and from the
// verification trials), so no two sets share content.
uint64_t TimedSetSeed(uint64_t eval_seed, int shape_index, int set);

// A "stamp": before every timed call the runner overwrites a few elements of
// the inputs of the buffer set it is about to use (and restores the previous
// stamp first), so no two calls of an evaluation see the same input content
// and a cache keyed on pointers or on a content fingerprint returns stale
// outputs. A stamp of one tensor is one contiguous run of kStampRun elements
// at a random offset plus kStampScatter single elements at random positions
// (all of the tensor when it is shorter); its values are drawn from the same
// distribution as the rest of the tensor. Everything is a function of the
// seed: the trusted reference regenerates the stamped inputs of the checked
// calls exactly.
inline constexpr int64_t kStampRun = 64;
inline constexpr int kStampScatter = 8;
// Call index of the final, checked call of each buffer set (the other calls
// use their position in the timed loop, warm-up included).
inline constexpr uint64_t kCheckCall = ~uint64_t{0};
uint64_t StampSeed(uint64_t set_seed, uint64_t call, int input_index);
struct StampRange {
  int64_t first = 0, count = 0;  // elements
};
// The element ranges one stamp overwrites in a tensor of `numel` elements.
std::vector<StampRange> StampRanges(int64_t numel, uint64_t stamp_seed);
// The ranges and their new values (packed, in range order) of one stamp.
struct TensorStamp {
  std::vector<StampRange> ranges;
  std::vector<uint8_t> values;
};
TensorStamp MakeTensorStamp(DType dtype, int64_t numel, const Distribution& dist, uint64_t stamp_seed);
// Writes a stamp into a host copy of the tensor.
void ApplyStamp(void* tensor, DType dtype, const TensorStamp& stamp);

// Fills `n` elements of `dtype` at `dst` from distribution `d`, deterministically in `seed`.
// Elements are generated in fixed chunks of kFillChunk, each from its own seed, on
// up to hardware_concurrency threads: the bytes do not depend on the thread count.
// "mixed" draws each element from normal, uniform and a log-uniform magnitude over many
// decades with random sign, clamped to the dtype's finite range.
void FillTensor(void* dst, DType dtype, int64_t n, const Distribution& d, uint64_t seed);

inline constexpr int64_t kFillChunk = int64_t(1) << 16;

// The counter-based generator (counter_gen.h) that the CUDA runner runs on the
// device: every element a pure function of (seed, index). Its values differ
// from FillTensor's for the same seed (the host backend keeps FillTensor);
// each backend is consistent with itself. Same distributions, clamp range
// (the dtype's finite range; i64 within +-9.2e18) and MixedDecades as FillTensor.
cgen::Params CounterParams(DType dtype, const Distribution& d, uint64_t seed);
// Elements [begin, end) of the counter-generated tensor of `seed`; element i
// goes to slot i - begin of `dst`. On the CPU (tests; the CUDA runner runs the
// same per-element code in its fill kernel).
void GenerateCounterRange(void* dst, DType dtype, int64_t begin, int64_t end, const Distribution& d, uint64_t seed);

// Runs fn(c) for every chunk c in [0, chunks) on up to hardware_concurrency
// threads (the caller's included); returns when all are done.
void ParallelChunks(int64_t chunks, const std::function<void(int64_t)>& fn);

// A fast, order-dependent 64-bit digest of a byte buffer (hex), computed in
// parallel over fixed 4 MiB chunks. Used to detect input mutation on both sides;
// not cryptographic (the candidate process could forge anything it reports).
std::string FastDigest(const void* data, size_t bytes);

// Element i of a buffer of `dtype`, widened to double (NaN/Inf preserved).
double LoadElement(const void* data, DType dtype, int64_t i);
// Encodes `v` (round to nearest, saturating for fp8) into element i.
void StoreElement(void* data, DType dtype, int64_t i, double v);

// Byte every output element is filled with before each call. A finite, odd
// value in every dtype (f32: -2.87e-16) that no correct kernel writes everywhere.
inline constexpr uint8_t kPoisonByte = 0xA5;
// The second pattern (HACKS.md row 14), used for the repeated call of the
// determinism check: NaN in every floating dtype (f32/f64/f16/bf16/fp8), -1 or
// 255 in the integer ones. A kernel that reads an output element before
// writing it (garbage * 0, garbage - garbage) gets a finite "lucky" result
// under 0xA5 and NaN under 0xFF, so its two calls disagree with the reference.
inline constexpr uint8_t kPoisonByteRepeat = 0xFF;

}  // namespace ksearch::evaluator
