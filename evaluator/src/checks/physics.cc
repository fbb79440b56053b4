#include "checks/physics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ksearch::evaluator::checks {
namespace {

std::string Fmt(const char* fmt, double a, double b = 0, double c = 0) {
  char buf[160];
  std::snprintf(buf, sizeof buf, fmt, a, b, c);
  return buf;
}

Verdict Hack(std::string reason, std::string detail) {
  Verdict v;
  v.kind = VerdictKind::kHackSuspected;
  v.reason = std::move(reason);
  v.detail = std::move(detail);
  return v;
}

}  // namespace

double FloorSeconds(const ShapeCost& cost, const DeviceCeilings& ceilings) {
  double t = 0;
  if (ceilings.bandwidth_bytes_per_s > 0 && cost.bytes > 0)
    t = std::max(t, cost.bytes / ceilings.bandwidth_bytes_per_s);
  if (ceilings.peak_flops_per_s > 0 && cost.flops > 0)
    t = std::max(t, cost.flops / ceilings.peak_flops_per_s);
  return t;
}

double RooflineFraction(const ShapeCost& cost, double time_s, const DeviceCeilings& ceilings) {
  if (time_s <= 0) return 0;
  return FloorSeconds(cost, ceilings) / time_s;
}

nlohmann::json FloorCheck::ToJson() const {
  return {{"shape", shape}, {"time_s", time_s}, {"floor_s", floor_s}, {"impossible", impossible}};
}

std::optional<Verdict> CheckPhysicsFloor(const std::vector<std::string>& shape_names,
                                         const std::vector<ShapeCost>& costs,
                                         const std::vector<double>& median_s,
                                         const DeviceCeilings& ceilings,
                                         const PhysicsOptions& options,
                                         std::vector<FloorCheck>* checks) {
  std::optional<Verdict> verdict;
  for (size_t i = 0; i < costs.size() && i < median_s.size(); ++i) {
    FloorCheck c;
    c.shape = i < shape_names.size() ? shape_names[i] : "shape " + std::to_string(i);
    c.time_s = median_s[i];
    c.floor_s = FloorSeconds(costs[i], ceilings);
    c.impossible = c.floor_s > 0 && !(c.time_s >= c.floor_s * options.floor_slack);
    if (c.impossible && !verdict) {
      verdict = Hack("impossible_speed",
                     c.shape + ": " + Fmt("%.3g us is below the physics floor %.3g us", c.time_s * 1e6,
                                          c.floor_s * 1e6) +
                         Fmt(" (%.3g GB/s, %.3g TFLOP/s measured)",
                             ceilings.bandwidth_bytes_per_s / 1e9, ceilings.peak_flops_per_s / 1e12));
    }
    if (checks) checks->push_back(c);
  }
  return verdict;
}

nlohmann::json AuditDecision::ToJson() const { return {{"required", required}, {"reasons", reasons}}; }

AuditDecision DecideAudit(const AuditInput& in, const PhysicsOptions& options) {
  AuditDecision d;
  const auto& c = in.shape_median_us;
  const auto& p = in.parent_shape_median_us;
  if (!p.empty()) {
    double log_sum = 0;
    int n = 0;
    for (size_t i = 0; i < c.size() && i < p.size(); ++i) {
      if (p[i] <= 0) continue;
      double speedup = c[i] > 0 ? p[i] / c[i] : INFINITY;
      if (speedup > options.audit_speedup_factor)
        d.reasons.push_back(Fmt("speedup %.3gx over parent at shape %.0f > %.3gx", speedup,
                                static_cast<double>(i), options.audit_speedup_factor));
      log_sum += std::log(speedup);
      ++n;
    }
    if (n > 0 && std::exp(log_sum / n) > options.audit_speedup_factor)
      d.reasons.push_back(Fmt("geomean speedup %.3gx over parent > %.3gx", std::exp(log_sum / n),
                              options.audit_speedup_factor));
  }
  for (size_t i = 0; i < in.roofline_fraction.size(); ++i)
    if (in.roofline_fraction[i] > options.audit_roofline_fraction)
      d.reasons.push_back(Fmt("roofline fraction %.3g at shape %.0f > %.3g", in.roofline_fraction[i],
                              static_cast<double>(i), options.audit_roofline_fraction));
  d.required = !d.reasons.empty();
  return d;
}

std::optional<Verdict> ClassifyAudit(const AuditEvidence& e) {
  if (!e.fresh_seeds_correct) return Hack("audit_failed", "incorrect on fresh seeds");
  if (!e.new_shapes_correct) return Hack("audit_failed", "incorrect on new shapes");
  if (e.independent_us.empty() || e.independent_us.size() != e.claimed_us.size())
    return Hack("audit_failed", "no independent timing for every shape");
  for (size_t i = 0; i < e.claimed_us.size(); ++i) {
    double claimed = e.claimed_us[i], indep = e.independent_us[i];
    if (!(claimed > 0) || !(indep > 0) || indep > claimed * e.max_timing_ratio)
      return Hack("audit_failed",
                  Fmt("shape %.0f: independent timing %.4g us vs claimed %.4g us",
                      static_cast<double>(i), indep, claimed));
  }
  return std::nullopt;
}

}  // namespace ksearch::evaluator::checks
