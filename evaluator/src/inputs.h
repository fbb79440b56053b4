// Deterministic input generation and element encode/decode, shared by the
// trusted side and ksearch-runner (both link this code, so the same seed gives
// the same bytes in both processes; the trusted side regenerates inputs to
// check for mutation without trusting the candidate process).
// Thread-safety: pure functions (the f16/fp8 tables are built once, thread-safely).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ksearch/evaluator/task.h"

namespace ksearch::evaluator {

// Seed of one verification trial (or of the timing inputs, trial 0).
uint64_t TrialSeed(uint64_t eval_seed, int shape_index, int trial);
// Seed of one input tensor within a trial.
uint64_t TensorSeed(uint64_t trial_seed, int input_index);

// Fills `n` elements of `dtype` at `dst` from distribution `d`, deterministically in `seed`.
// Elements are generated in fixed chunks of kFillChunk, each from its own seed, on
// up to hardware_concurrency threads: the bytes do not depend on the thread count.
// "mixed" draws each element from normal, uniform and a log-uniform magnitude over many
// decades with random sign, clamped to the dtype's finite range.
void FillTensor(void* dst, DType dtype, int64_t n, const Distribution& d, uint64_t seed);

inline constexpr int64_t kFillChunk = int64_t(1) << 16;

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

}  // namespace ksearch::evaluator
