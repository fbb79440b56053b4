#include <catch.hpp>

#include "ksearch/evaluator/task.h"

using namespace ksearch::evaluator;

TEST_CASE("expressions evaluate with params, precedence and floor division", "[evaluator][task]") {
  ShapeBinding v{{"M", 7}, {"N", 10}};
  CHECK(*EvalExpr("2*M*N*4", v) == 560);
  CHECK(*EvalExpr("(M+1)*(N-2)", v) == 64);
  CHECK(*EvalExpr("N/3", v) == 3);          // integral: floor division
  CHECK(*EvalExpr("N/4.0", v) == 2.5);      // real
  CHECK(*EvalExpr("N%3 + -M", v) == -6);
  CHECK(*EvalExpr("1e-6", v) == Approx(1e-6));
  CHECK(*EvalIntExpr("M*N", v) == 70);
}

TEST_CASE("bad expressions name the problem", "[evaluator][task]") {
  ShapeBinding v{{"M", 7}};
  auto unknown = EvalExpr("M*K", v);
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().message().find("unknown name 'K'") != std::string::npos);
  CHECK_FALSE(EvalExpr("(M+1", v).ok());
  CHECK_FALSE(EvalExpr("M/0", v).ok());
  CHECK_FALSE(EvalExpr("M M", v).ok());
  CHECK_FALSE(EvalIntExpr("M/2.0", v).ok());  // 3.5 is not an integer
  CHECK_FALSE(EvalIntExpr("-M", v).ok());
}
