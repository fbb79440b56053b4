// Physics floor and audit policy (DESIGN.md section 5, HACKS.md rows 13, 17).
//
// Pure functions: the caller (the runner's benchmark stage, the lead's
// promotion logic) supplies the task's cost model evaluated per shape, the
// per-shape median times, and ceilings MEASURED on the device (bandwidth from a
// large device-to-device copy, compute from a large library GEMM; on the host
// backend, a large memcpy and a peak-FLOP loop). A time below the floor is
// impossible and is rejected shape by shape, so one absurd shape cannot hide in
// a geometric mean. A large speedup over the parent is not rejected but must
// pass an audit (fresh seeds, new shapes, independent profiler timing) before
// the candidate can become a best.
// Thread-safety: pure.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ksearch/core/verdict.h"

namespace ksearch::evaluator::checks {

struct DeviceCeilings {
  double bandwidth_bytes_per_s = 0;  // measured; 0 = unknown (no bandwidth floor)
  double peak_flops_per_s = 0;       // measured; 0 = unknown (no compute floor)
};

struct ShapeCost {
  double bytes = 0;  // task cost.bytes at this shape: fewest bytes that must move
  double flops = 0;  // task cost.flops at this shape
};

struct PhysicsOptions {
  // A time below floor * slack is impossible. Measured ceilings are achieved,
  // not theoretical, rates, so a very good kernel may beat them by a little;
  // 0.8 leaves 25% headroom while still catching every skipped-work cheat
  // (which is typically orders of magnitude below the floor).
  double floor_slack = 0.8;
  // A speedup over the parent above this factor requires an audit (default 3x).
  double audit_speedup_factor = 3.0;
  // A roofline fraction above this also requires an audit, parent or not.
  double audit_roofline_fraction = 0.9;
};

// max(bytes / bandwidth, flops / peak) in seconds; 0 when no ceiling is known.
double FloorSeconds(const ShapeCost& cost, const DeviceCeilings& ceilings);

// floor / time (1.0 = at the measured roofline); 0 when unknown or time <= 0.
double RooflineFraction(const ShapeCost& cost, double time_s, const DeviceCeilings& ceilings);

struct FloorCheck {
  std::string shape;     // shape name, for the message
  double time_s = 0;
  double floor_s = 0;
  bool impossible = false;
  nlohmann::json ToJson() const;
};

// Per-shape floor checks. Returns hack_suspected{impossible_speed} naming the
// first impossible shape (detail lists time and floor), or nullopt. A time of
// 0 or below is impossible whenever a floor is known. Every shape's check is
// appended to *checks when non-null. REQUIRES: equal sizes of the vectors.
std::optional<Verdict> CheckPhysicsFloor(const std::vector<std::string>& shape_names,
                                         const std::vector<ShapeCost>& costs,
                                         const std::vector<double>& median_s,
                                         const DeviceCeilings& ceilings,
                                         const PhysicsOptions& options,
                                         std::vector<FloorCheck>* checks = nullptr);

struct AuditInput {
  std::vector<double> shape_median_us;         // candidate, scored-shape order
  std::vector<double> parent_shape_median_us;  // empty: no parent (seed)
  std::vector<double> roofline_fraction;       // per shape; may be empty
};

struct AuditDecision {
  bool required = false;
  std::vector<std::string> reasons;  // e.g. "speedup 7.9x over parent at shape 0 > 3x"
  nlohmann::json ToJson() const;
};

// Audit trigger: any per-shape speedup over the parent above the factor, the
// geometric-mean speedup above the factor, or a roofline fraction above
// audit_roofline_fraction.
AuditDecision DecideAudit(const AuditInput& input, const PhysicsOptions& options);

struct AuditEvidence {
  bool fresh_seeds_correct = false;   // re-verified with new seeds and distributions
  bool new_shapes_correct = false;    // re-verified at shapes never used before
  std::vector<double> claimed_us;     // the runner's per-shape medians being audited
  std::vector<double> independent_us; // per shape, from an independent timer (Nsight
                                      // Compute gpu__time_duration, or a fresh process)
  double max_timing_ratio = 1.5;      // independent/claimed above this fails
};

// nullopt when the audit passes; otherwise hack_suspected{audit_failed} whose
// detail says which leg failed. Missing independent timings fail the audit.
std::optional<Verdict> ClassifyAudit(const AuditEvidence& evidence);

}  // namespace ksearch::evaluator::checks
