#include "checks/output_checks.h"

#include <cmath>
#include <cstdio>
#include <cstring>

namespace ksearch::evaluator::checks {
namespace {

Verdict Make(VerdictKind kind, std::string reason, std::string detail) {
  Verdict v;
  v.kind = kind;
  v.reason = std::move(reason);
  v.detail = std::move(detail);
  return v;
}

bool BitwiseEqual(std::span<const double> a, std::span<const double> b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size_bytes()) == 0);
}

std::string Fmt(const char* fmt, double a, double b = 0, double c = 0) {
  char buf[200];
  std::snprintf(buf, sizeof buf, fmt, a, b, c);
  return buf;
}

}  // namespace

std::optional<Verdict> CheckConstantOutput(std::span<const double> candidate,
                                           std::span<const double> reference, double floor) {
  if (candidate.size() < 2 || reference.empty()) return std::nullopt;
  double rmin = INFINITY, rmax = -INFINITY;
  for (double r : reference)
    if (std::isfinite(r)) rmin = std::min(rmin, r), rmax = std::max(rmax, r);
  if (!(rmax - rmin > floor)) return std::nullopt;  // the right answer is (nearly) constant
  double first = candidate[0];
  for (double c : candidate)
    if (!(c == first)) return std::nullopt;  // any difference, or NaN, is not "constant"
  return Make(VerdictKind::kIncorrect, "constant_output",
              Fmt("every output element is %.6g while the reference spans [%.6g, %.6g]", first, rmin,
                  rmax));
}

std::optional<Verdict> CheckRespondsToInput(std::span<const double> cand_a,
                                            std::span<const double> cand_b,
                                            std::span<const double> ref_a,
                                            std::span<const double> ref_b) {
  if (cand_a.empty() || BitwiseEqual(ref_a, ref_b)) return std::nullopt;
  if (!BitwiseEqual(cand_a, cand_b)) return std::nullopt;
  return Make(VerdictKind::kIncorrect, "constant_output",
              "identical outputs for two different inputs whose reference outputs differ");
}

std::optional<Verdict> CheckDeterminism(std::span<const double> a, std::span<const double> b,
                                        bool contract_allows, double rtol, double atol) {
  size_t n = std::min(a.size(), b.size()), bad = 0, first = 0;
  for (size_t i = 0; i < n; ++i) {
    bool same = contract_allows ? std::fabs(a[i] - b[i]) <= atol + rtol * std::fabs(b[i])
                                : std::memcmp(&a[i], &b[i], sizeof(double)) == 0;
    if (!same && bad++ == 0) first = i;
  }
  if (a.size() != b.size() || bad) {
    return Make(VerdictKind::kIncorrect, "nondeterministic",
                Fmt("%.0f of %.0f elements differ between two runs on the same input (first at %.0f)",
                    static_cast<double>(bad), static_cast<double>(n), static_cast<double>(first)));
  }
  return std::nullopt;
}

std::optional<Verdict> CheckTimingCrossCheck(const TimingSample& s,
                                             const TimingCrossCheckOptions& o) {
  if (s.calls <= 0) return std::nullopt;
  double work_host = s.host_s - o.host_overhead_s * s.calls;
  if (!(s.primary_s >= 0) || !(s.host_s >= 0))
    return Make(VerdictKind::kHackSuspected, "timing_mismatch", "negative or NaN timing");
  if (work_host > 0 && s.primary_s < o.min_fraction * work_host)
    return Make(VerdictKind::kHackSuspected, "timing_mismatch",
                Fmt("device events saw %.4g us per call but the host clock %.4g us per call "
                    "(%.0f calls): work escaped the timed stream",
                    s.primary_s * 1e6 / s.calls, s.host_s * 1e6 / s.calls, s.calls));
  if (s.primary_s > o.max_excess * s.host_s + 1e-6 * s.calls)
    return Make(VerdictKind::kHackSuspected, "timing_mismatch",
                Fmt("device events report %.4g us per call, more than the host clock's %.4g us",
                    s.primary_s * 1e6 / s.calls, s.host_s * 1e6 / s.calls));
  return std::nullopt;
}

}  // namespace ksearch::evaluator::checks
