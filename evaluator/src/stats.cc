#include "stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace ksearch::evaluator {

namespace {
double Quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  double pos = q * (sorted.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(pos));
  size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}
}  // namespace

Summary Summarize(std::vector<double> v) {
  Summary s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.n = static_cast<int>(v.size());
  s.median = Quantile(v, 0.5);
  s.p10 = Quantile(v, 0.1);
  s.p90 = Quantile(v, 0.9);
  s.min = v.front();
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / v.size();
  return s;
}

double MedianCiRel(std::vector<double> v) {
  if (v.size() < 5) return std::numeric_limits<double>::infinity();
  std::sort(v.begin(), v.end());
  double n = static_cast<double>(v.size());
  double half = 1.96 * std::sqrt(n) / 2;
  long lo = std::max(0L, static_cast<long>(std::floor(n / 2 - half)));
  long hi = std::min(static_cast<long>(n) - 1, static_cast<long>(std::ceil(n / 2 + half)));
  double med = Quantile(v, 0.5);
  return med > 0 ? (v[hi] - v[lo]) / med : std::numeric_limits<double>::infinity();
}

double Geomean(const std::vector<double>& v) {
  if (v.empty()) return 0;
  double s = 0;
  for (double x : v) s += std::log(std::max(x, 1e-12));
  return std::exp(s / v.size());
}

}  // namespace ksearch::evaluator
