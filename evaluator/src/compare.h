// Output comparison on the trusted side. Pure functions.
//
// Rules, in this order (first failing rule names the reason):
//  unwritten: a candidate element still holds the poison bytes (`poison`, by
//             default kPoisonByte) where the reference's element does not;
//  nan:       a candidate element is NaN/Inf where the reference's is finite;
//  mismatch:  rel_norm = ||c - r||_2 / max(||r||_2, floor * sqrt(n)) > tol.rel_norm, or
//             some element has |c - r| > elem_atol + elem_rtol * max(|r|, floor).
// The floor keeps relative measures meaningful for tiny reference values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "inputs.h"
#include "ksearch/evaluator/task.h"

namespace ksearch::evaluator {

struct CompareResult {
  bool ok = true;
  std::string reason;          // "", "unwritten", "nan", "mismatch"
  double rel_norm = 0;
  double max_abs_err = 0;
  int64_t bad_elements = 0;    // elements outside the elementwise tolerance
  int64_t unwritten = 0;
  int64_t nonfinite = 0;
  int64_t first_bad = -1;      // index of the first failing element
  // What a repair prompt shows: the first failing element and the element with
  // the largest absolute error (when another one), with the candidate's and the
  // reference's values. Empty when ok.
  struct Element {
    std::string what;            // "first failing", "largest error"
    int64_t index = -1;          // flat index into the output
    double got = 0, want = 0;    // candidate, reference
    bool unwritten = false;      // the candidate left the poison pattern there
  };
  std::vector<Element> worst;
  nlohmann::json ToJson() const;
};

CompareResult CompareOutput(const void* candidate, const void* reference, DType dtype, int64_t n,
                            const Tolerance& tol, uint8_t poison = kPoisonByte);

}  // namespace ksearch::evaluator
