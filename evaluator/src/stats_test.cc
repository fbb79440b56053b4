#include <catch.hpp>

#include <cmath>

#include "stats.h"

using namespace ksearch::evaluator;

TEST_CASE("summary statistics and median confidence interval", "[evaluator][stats]") {
  std::vector<double> v;
  for (int i = 1; i <= 101; ++i) v.push_back(i);
  Summary s = Summarize(v);
  CHECK(s.median == 51);
  CHECK(s.p10 == Approx(11));
  CHECK(s.p90 == Approx(91));
  CHECK(s.n == 101);
  CHECK(s.min == 1);
  // Wide data: CI large; tight data: CI small.
  CHECK(MedianCiRel(v) > 0.1);
  std::vector<double> tight(200, 100.0);
  for (size_t i = 0; i < tight.size(); ++i) tight[i] += (i % 7) * 0.01;
  CHECK(MedianCiRel(tight) < 0.001);
  CHECK(std::isinf(MedianCiRel({1, 2, 3})));
  CHECK(Geomean({2, 8}) == Approx(4));
}
