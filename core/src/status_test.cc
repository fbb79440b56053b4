#include <catch.hpp>

#include "ksearch/core/status.h"

using ksearch::Result;
using ksearch::Status;

TEST_CASE("status carries code and message; OK is the default", "[core]") {
  Status ok;
  CHECK(ok.ok());
  CHECK(ok.ToString() == "ok");
  Status nf = Status::NotFound("blob abc");
  CHECK_FALSE(nf.ok());
  CHECK(nf.IsNotFound());
  CHECK(nf.ToString() == "not_found: blob abc");
  CHECK(nf.WithContext("ksearch.db").message() == "ksearch.db: blob abc");
}

TEST_CASE("result holds a value or an error, never an OK status", "[core]") {
  Result<int> v = 7;
  REQUIRE(v.ok());
  CHECK(*v == 7);
  Result<int> e = Status::Corruption("bad row 12");
  CHECK_FALSE(e.ok());
  CHECK(e.status().IsCorruption());
  CHECK(e.value_or(3) == 3);
  Result<int> weird = Status::Ok();
  CHECK_FALSE(weird.ok());
  CHECK(weird.status().code() == Status::Code::kInternal);
}
