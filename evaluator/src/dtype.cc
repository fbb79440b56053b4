// DType names and sizes, and value distributions: shared by the trusted side
// and ksearch-runner, so it must not depend on YAML.
#include <string>

#include "ksearch/evaluator/task.h"

namespace ksearch::evaluator {

std::string_view DTypeName(DType t) {
  static const char* kNames[] = {"f32", "f16", "bf16", "f64", "i32", "i64", "i8", "u8", "fp8_e4m3", "fp8_e5m2"};
  return kNames[static_cast<int>(t)];
}
Result<DType> ParseDType(std::string_view name) {
  for (int i = 0; i <= static_cast<int>(DType::kFp8E5M2); ++i)
    if (DTypeName(static_cast<DType>(i)) == name) return static_cast<DType>(i);
  return Status::InvalidArgument("unknown dtype '" + std::string(name) +
                                 "' (expected f32 f16 bf16 f64 i32 i64 i8 u8 fp8_e4m3 fp8_e5m2)");
}
size_t DTypeSize(DType t) {
  switch (t) {
    case DType::kF32: case DType::kI32: return 4;
    case DType::kF16: case DType::kBF16: return 2;
    case DType::kF64: case DType::kI64: return 8;
    default: return 1;
  }
}
bool IsFloat(DType t) {
  return t == DType::kF32 || t == DType::kF16 || t == DType::kBF16 || t == DType::kF64 ||
         t == DType::kFp8E4M3 || t == DType::kFp8E5M2;
}

Result<Distribution> ParseDistribution(std::string_view text) {
  Distribution d;
  d.text = std::string(text);
  if (text == "mixed") { d.kind = Distribution::Kind::kMixed; return d; }
  size_t open = text.find('('), comma = text.find(','), close = text.rfind(')');
  if (open == std::string_view::npos || comma == std::string_view::npos || close != text.size() - 1)
    return Status::InvalidArgument("bad distribution '" + d.text +
                                   "' (expected normal(m,s) uniform(lo,hi) lognormal(mu,s) ints(lo,hi) or mixed)");
  std::string kind(text.substr(0, open));
  if (kind == "normal") d.kind = Distribution::Kind::kNormal;
  else if (kind == "uniform") d.kind = Distribution::Kind::kUniform;
  else if (kind == "lognormal") d.kind = Distribution::Kind::kLogNormal;
  else if (kind == "ints") d.kind = Distribution::Kind::kInts;
  else return Status::InvalidArgument("unknown distribution '" + kind + "'");
  auto a = EvalExpr(text.substr(open + 1, comma - open - 1), {});
  auto b = EvalExpr(text.substr(comma + 1, close - comma - 1), {});
  if (!a.ok() || !b.ok()) return Status::InvalidArgument("bad distribution arguments in '" + d.text + "'");
  d.a = *a;
  d.b = *b;
  return d;
}

}  // namespace ksearch::evaluator
