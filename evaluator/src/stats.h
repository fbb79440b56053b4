// Order statistics for timing samples. Pure functions.
#pragma once

#include <vector>

namespace ksearch::evaluator {

struct Summary {
  double median = 0, p10 = 0, p90 = 0, mean = 0, min = 0;
  int n = 0;
};
Summary Summarize(std::vector<double> v);
// Relative half-width... precisely: (x[hi] - x[lo]) / median where lo, hi are the
// order-statistic ranks of a distribution-free 95% CI of the median
// (n/2 -+ 1.96*sqrt(n)/2). Infinity for fewer than 5 samples.
double MedianCiRel(std::vector<double> v);
double Geomean(const std::vector<double>& v);

}  // namespace ksearch::evaluator
