// Task: one operation to optimize, loaded from configs/tasks/<op>/task.yaml
// (format: docs/task-format.md). A Task is plain data, immutable after
// LoadTask; all shape and cost expressions stay as text and are evaluated
// against a shape's parameter binding with EvalExpr / ResolveShape.
// Thread-safety: values; LoadTask touches only the files it reads.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ksearch/core/eval_protocol.h"
#include "ksearch/core/status.h"

namespace ksearch::evaluator {

// Element types of the native ABI, in ks_dtype order.
enum class DType { kF32, kF16, kBF16, kF64, kI32, kI64, kI8, kU8, kFp8E4M3, kFp8E5M2 };
std::string_view DTypeName(DType t);
Result<DType> ParseDType(std::string_view name);
size_t DTypeSize(DType t);
bool IsFloat(DType t);

// A value distribution for input generation (see inputs.h for the exact rules).
struct Distribution {
  enum class Kind { kNormal, kUniform, kLogNormal, kInts, kMixed };
  Kind kind = Kind::kNormal;
  double a = 0, b = 1;  // (mean,std) (lo,hi) (mu,sigma) (lo,hi); unused for mixed
  std::string text;     // as written in task.yaml
};
Result<Distribution> ParseDistribution(std::string_view text);

struct TensorSpec {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<std::string> shape;   // expressions over params
  std::vector<Distribution> dists;  // inputs only; at least one
};

struct ScalarSpec {
  std::string name;
  std::string value;  // expression over params
};

using ShapeBinding = std::map<std::string, int64_t>;  // param -> value

struct Tolerance {
  double rel_norm = 1e-5, elem_rtol = 1e-4, elem_atol = 1e-6, floor = 1e-3;
};

struct BackendFiles {
  std::string reference, baseline, seed;  // absolute paths
};

struct Task {
  std::string dir;    // absolute folder path
  std::string name;
  std::string description;
  std::vector<std::string> params;
  std::vector<TensorSpec> inputs, outputs;
  std::vector<ScalarSpec> iscalars, fscalars;
  std::map<std::string, std::vector<ShapeBinding>> shapes;    // backend -> scored suite
  std::map<std::string, std::vector<ShapeBinding>> held_out;  // backend -> held-out
  std::map<std::string, Tolerance> tolerance;                 // dtype name -> tolerance
  std::string cost_bytes, cost_flops;
  std::string baseline_name;
  std::map<std::string, BackendFiles> files;  // backend -> files
  std::string contract_path;
  std::vector<std::string> backends;
  std::string workspace_bytes = "0";
  bool nondeterministic = false;
  std::vector<std::string> allowed_libraries;
  std::string content_hash;  // sha256 over task.yaml and every file it names

  bool HasBackend(std::string_view b) const;
  const Tolerance& ToleranceFor(DType t) const;  // REQUIRES: loader validated coverage
};

// Loads and validates <dir>/task.yaml. Errors name "<file>:<line>:<col>: <key>: <what>",
// and all errors found are returned together (one per line).
Result<Task> LoadTask(const std::string& dir);

// OK when `expected_hash` is empty (not recorded) or the task's content_hash;
// otherwise FailedPrecondition saying that the task folder changed since the
// campaign that recorded the hash started (the evaluator's task_changed, the
// daemon's refusal to rebuild or resume such a campaign).
Status CheckTaskHash(const Task& task, const std::string& expected_hash);

// Evaluates an arithmetic expression (+ - * / % parentheses, unary minus,
// numbers incl. 1e-6, identifiers bound in `vars`). '/' between two integral
// values is floor division (C semantics for non-negative values), else real.
Result<double> EvalExpr(std::string_view expr, const ShapeBinding& vars);
// EvalExpr that must give an integer >= 0.
Result<int64_t> EvalIntExpr(std::string_view expr, const ShapeBinding& vars);

// "M=4096,N=1024" in params order.
std::string ShapeName(const Task& task, const ShapeBinding& shape);

}  // namespace ksearch::evaluator
