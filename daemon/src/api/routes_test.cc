#include <catch.hpp>

#include "api/routes.h"

using namespace ksearch;
using namespace ksearch::daemon;
using nlohmann::json;

namespace {

// Records what the routes asked for; answers from a small table.
class RecordingPlane final : public ControlPlane {
 public:
  std::vector<std::string> calls;
  Result<json> StartCampaign(const std::string& yaml, const std::string& source) override {
    calls.push_back("start:" + source);
    if (yaml.find("bad") != std::string::npos) return Status::InvalidArgument(source + ":1: task: missing");
    return json{{"campaign", "c1"}};
  }
  Status PauseCampaign(const std::string& id) override { return Record("pause:" + id); }
  Status ResumeCampaign(const std::string& id) override { return Record("resume:" + id); }
  Status StopCampaign(const std::string& id) override { return Record("stop:" + id); }
  Result<json> ExtendCampaign(const std::string& id, const planner::BudgetExtension& add) override {
    calls.push_back("extend:" + id + ":" + std::to_string(add.attempts) + ":" + std::to_string(add.wall_seconds) + ":" +
                    std::to_string(add.money_usd) + ":" + std::to_string(add.plateau_window));
    if (id == "missing") return Status::NotFound("no campaign 'missing'");
    if (id == "done") return Status::FailedPrecondition("campaign 'done' finished: exhausted");
    return json{{"campaign", id}, {"budgets", {{"attempts", add.attempts}}}};
  }
  json ListCampaigns() override { return json::array({json{{"campaign", "c1"}}}); }
  Result<json> CampaignStatus(const std::string& id) override { return Lookup("status:" + id, id); }
  Result<json> Attempts(const std::string& id, const AttemptQuery& q) override {
    calls.push_back("attempts:" + id + ":" + std::to_string(q.limit) + ":" + q.verdict);
    return Lookup("", id);
  }
  Result<json> Best(const std::string& id) override { return Lookup("best:" + id, id); }
  Result<json> Frontier(const std::string& id) override { return Lookup("frontier:" + id, id); }
  Result<json> DeadEnds(const DeadEndQuery& q) override {
    calls.push_back("deadends:" + q.task + ":" + q.failure_class);
    return json{{"dead_ends", json::array()}};
  }
  Result<json> Export(const std::string& id) override { return Lookup("export:" + id, id); }
  std::string MetricsText() override { return "ksearch_attempts_total 3\n"; }

 private:
  Status Record(const std::string& c) {
    calls.push_back(c);
    if (c.find("missing") != std::string::npos) return Status::NotFound("no campaign");
    if (c.find("done") != std::string::npos) return Status::FailedPrecondition("campaign is finished");
    return Status::Ok();
  }
  Result<json> Lookup(const std::string& c, const std::string& id) {
    if (!c.empty()) calls.push_back(c);
    if (id == "missing") return Status::NotFound("no campaign 'missing'");
    return json{{"campaign", id}};
  }
};

const std::string kToken = "0123456789abcdef0123456789abcdef";

ApiRequest Req(const std::string& method, const std::string& target, const std::string& body = "",
               const std::string& auth = "Bearer " + kToken) {
  ApiRequest r;
  r.method = method;
  r.target = target;
  REQUIRE(ParseTarget(target, r.path, r.segments, r.query));
  r.body = body;
  r.authorization = auth;
  return r;
}

}  // namespace

TEST_CASE("every endpoint refuses a missing or wrong token with 401", "[daemon][api]") {
  RecordingPlane plane;
  const std::vector<std::pair<std::string, std::string>> endpoints = {
      {"GET", "/v1/campaigns"},          {"POST", "/v1/campaigns"},
      {"GET", "/v1/campaigns/c1"},       {"POST", "/v1/campaigns/c1/pause"},
      {"POST", "/v1/campaigns/c1/resume"}, {"POST", "/v1/campaigns/c1/stop"},
      {"POST", "/v1/campaigns/c1/extend"},
      {"GET", "/v1/campaigns/c1/attempts"}, {"GET", "/v1/campaigns/c1/best"},
      {"GET", "/v1/campaigns/c1/frontier"}, {"GET", "/v1/campaigns/c1/export"},
      {"GET", "/v1/deadends"},           {"GET", "/metrics"},
      {"GET", "/nonexistent"}};
  for (const auto& [method, target] : endpoints) {
    const std::vector<std::string> auths = {"", "Bearer wrong", "Bearer " + kToken + "x",
                                            "bearer " + kToken, kToken};
    for (const std::string& auth : auths) {
      auto r = HandleApiRequest(Req(method, target, "{}", auth), kToken, plane);
      INFO(method << " " << target << " auth='" << auth << "'");
      CHECK(r.status == 401);
    }
  }
  CHECK(plane.calls.empty());
}

TEST_CASE("routes reach the control plane with parsed arguments", "[daemon][api]") {
  RecordingPlane plane;
  CHECK(HandleApiRequest(Req("GET", "/v1/campaigns"), kToken, plane).status == 200);
  auto started = HandleApiRequest(Req("POST", "/v1/campaigns", R"({"spec_yaml":"task: x","source":"demo.yaml"})"),
                                  kToken, plane);
  CHECK(started.status == 201);
  CHECK(HandleApiRequest(Req("POST", "/v1/campaigns/c1/pause"), kToken, plane).status == 200);
  CHECK(HandleApiRequest(Req("GET", "/v1/campaigns/c1/attempts?limit=7&verdict=incorrect"), kToken, plane).status ==
        200);
  CHECK(HandleApiRequest(Req("GET", "/v1/deadends?task=softmax&class=compile_error"), kToken, plane).status == 200);
  auto metrics = HandleApiRequest(Req("GET", "/metrics"), kToken, plane);
  CHECK(metrics.content_type.find("text/plain") == 0);
  CHECK(metrics.body.find("ksearch_attempts_total") != std::string::npos);
  // A verdict filter is a prefix of a verdict, or a whole kind with a reason.
  CHECK(HandleApiRequest(Req("GET", "/v1/campaigns/c1/attempts?verdict=hack"), kToken, plane).status == 200);
  CHECK(HandleApiRequest(Req("GET", "/v1/campaigns/c1/attempts?verdict=incorrect%7Bnan%7D"), kToken, plane).status ==
        200);
  CHECK(plane.calls == std::vector<std::string>{"start:demo.yaml", "pause:c1", "attempts:c1:7:incorrect",
                                                "deadends:softmax:compile_error", "attempts:c1:100:hack",
                                                "attempts:c1:100:incorrect{nan}"});
}

TEST_CASE("malformed requests get a 4xx with a message, never reach the plane", "[daemon][api][fault]") {
  RecordingPlane plane;
  struct Case {
    std::string method, target, body;
    int status;
  };
  const std::vector<Case> cases = {
      {"POST", "/v1/campaigns", "not json", 400},
      {"POST", "/v1/campaigns", "[1,2]", 400},
      {"POST", "/v1/campaigns", R"({"spec_yaml": 3})", 400},
      {"POST", "/v1/campaigns", R"({"spec_yaml": "x", "extra": 1})", 400},
      {"GET", "/v1/campaigns/c1/attempts?limit=abc", "", 400},
      {"GET", "/v1/campaigns/c1/attempts?limit=0", "", 400},
      {"GET", "/v1/campaigns/c1/attempts?bogus=1", "", 400},
      {"GET", "/v1/campaigns/c1/attempts?verdict=bogus", "", 400},          // no verdict starts so
      {"GET", "/v1/campaigns/c1/attempts?verdict=slowerx", "", 400},
      {"GET", "/v1/campaigns/c1/attempts?verdict=hack%7Bx%7D", "", 400},     // "hack{x}": a kind is whole before '{'
      {"GET", "/v1/campaigns/..", "", 400},
      {"GET", "/v1/campaigns/%2E/stop", "", 400},
      {"GET", "/v1/campaigns/a%0Ab", "", 400},                               // a control byte
      {"GET", "/v1/deadends?since_ms=-4", "", 400},
      {"GET", "/v1/deadends?class=compile", "", 400},  // a class is a whole kind
      {"DELETE", "/v1/campaigns", "", 405},
      {"GET", "/v1/campaigns/c1/pause", "", 405},
      {"GET", "/v1/campaigns/c1/nothing", "", 404},
      {"GET", "/v2/campaigns", "", 404},
  };
  for (const auto& c : cases) {
    auto r = HandleApiRequest(Req(c.method, c.target, c.body), kToken, plane);
    INFO(c.method << " " << c.target << " " << c.body);
    CHECK(r.status == c.status);
    auto body = json::parse(r.body);
    CHECK_FALSE(body.value("error", "").empty());
  }
  CHECK(plane.calls.empty());
}

TEST_CASE("a campaign id outside the spec's grammar is still addressed, an encoded '/' inside it",
          "[daemon][api]") {
  // A log written before the grammar was enforced may hold such a campaign:
  // ksearchd pauses it at a start, and the user must be able to inspect and
  // stop it (before 2026-11-25 every such request was a 400, and an id with a
  // '/' was split at it).
  RecordingPlane plane;
  CHECK(HandleApiRequest(Req("POST", "/v1/campaigns/" + PercentEncode("old/run 1+2") + "/stop"), kToken, plane)
            .status == 200);
  CHECK(HandleApiRequest(Req("GET", "/v1/campaigns/.hidden"), kToken, plane).status == 200);
  CHECK(HandleApiRequest(Req("GET", "/v1/campaigns/bad%20id!/best"), kToken, plane).status == 200);
  CHECK(plane.calls == std::vector<std::string>{"stop:old/run 1+2", "status:.hidden", "best:bad id!"});
}

TEST_CASE("extend: a body of increments reaches the plane; a malformed one is a 400 naming the field",
          "[daemon][api][budget]") {
  RecordingPlane plane;
  auto ok = HandleApiRequest(
      Req("POST", "/v1/campaigns/c1/extend", R"({"attempts": 200, "wall_seconds": 3600, "money_usd": 2.5})"), kToken,
      plane);
  CHECK(ok.status == 200);
  CHECK(json::parse(ok.body)["budgets"]["attempts"] == 200);
  CHECK(HandleApiRequest(Req("POST", "/v1/campaigns/c1/extend", R"({"plateau_window": 0})"), kToken, plane).status ==
        200);
  CHECK(plane.calls == std::vector<std::string>{"extend:c1:200:3600.000000:2.500000:-1", "extend:c1:0:0.000000:0.000000:0"});
  plane.calls.clear();
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"not json", "not JSON"},
      {"[1]", "JSON object"},
      {"{}", "nothing to extend"},
      {R"({"attempts": 0})", "nothing to extend"},
      {R"({"attempts": -1})", "'attempts'"},
      {R"({"attempts": 1.5})", "'attempts'"},
      {R"({"money_usd": "3"})", "'money_usd'"},
      {R"({"wall_seconds": -2})", "'wall_seconds'"},
      {R"({"plateau_window": -1})", "'plateau_window'"},
      {R"({"attempts": 5, "hours": 2})", "unknown field 'hours'"}};
  for (const auto& [body, says] : bad) {
    INFO(body);
    auto r = HandleApiRequest(Req("POST", "/v1/campaigns/c1/extend", body), kToken, plane);
    CHECK(r.status == 400);
    CHECK(json::parse(r.body).value("error", "").find(says) != std::string::npos);
  }
  CHECK(plane.calls.empty());
  CHECK(HandleApiRequest(Req("GET", "/v1/campaigns/c1/extend"), kToken, plane).status == 405);
  CHECK(HandleApiRequest(Req("POST", "/v1/campaigns/done/extend", R"({"attempts": 1})"), kToken, plane).status == 409);
  CHECK(HandleApiRequest(Req("POST", "/v1/campaigns/missing/extend", R"({"attempts": 1})"), kToken, plane).status ==
        404);
}

TEST_CASE("control plane errors map to status codes", "[daemon][api]") {
  RecordingPlane plane;
  CHECK(HandleApiRequest(Req("GET", "/v1/campaigns/missing"), kToken, plane).status == 404);
  CHECK(HandleApiRequest(Req("POST", "/v1/campaigns/done/stop"), kToken, plane).status == 409);
  auto bad = HandleApiRequest(Req("POST", "/v1/campaigns", R"({"spec_yaml":"bad"})"), kToken, plane);
  CHECK(bad.status == 400);
  CHECK(json::parse(bad.body)["error"] == "request:1: task: missing");
}

TEST_CASE("query strings are percent-decoded; bad escapes are rejected", "[daemon][api]") {
  std::string path;
  std::vector<std::string> segments;
  std::map<std::string, std::string> q;
  REQUIRE(ParseTarget("/v1/deadends?task=soft%6Dax&class=incorrect%7Bnan%7D&x", path, segments, q));
  CHECK(path == "/v1/deadends");
  CHECK(segments == std::vector<std::string>{"v1", "deadends"});
  CHECK(q["task"] == "softmax");
  CHECK(q["class"] == "incorrect{nan}");
  CHECK(q.count("x") == 1);
  CHECK_FALSE(ParseTarget("/v1/x?a=%zz", path, segments, q));
  CHECK_FALSE(ParseTarget("/v1/x?a=%4", path, segments, q));
  CHECK_FALSE(ParseTarget("/v1/x%4/y", path, segments, q));
  // Segments are split before they are decoded; '+' is a space only in the query.
  REQUIRE(ParseTarget("//v1/campaigns/a%2Fb+c//stop?v=a+b", path, segments, q));
  CHECK(segments == std::vector<std::string>{"v1", "campaigns", "a/b+c", "stop"});
  CHECK(path == "//v1/campaigns/a/b+c//stop");
  CHECK(q["v"] == "a b");
}

TEST_CASE("PercentEncode keeps a value inside its path segment or query value", "[daemon][api]") {
  CHECK(PercentEncode("softmax-v2_1.x~") == "softmax-v2_1.x~");
  CHECK(PercentEncode("a b&c=d?e/f%+#") == "a%20b%26c%3Dd%3Fe%2Ff%25%2B%23");
  CHECK(PercentEncode(std::string("\x00\xff", 2)) == "%00%FF");
  // Round trip through the server's parser: the hostile value stays one
  // parameter and comes back byte for byte.
  const std::string hostile = "slower&limit=999999&verdict=x y+z%41";
  std::string path;
  std::vector<std::string> segments;
  std::map<std::string, std::string> q;
  REQUIRE(ParseTarget("/v1/campaigns/" + PercentEncode("c?1/x") + "/attempts?limit=5&verdict=" + PercentEncode(hostile),
                      path, segments, q));
  CHECK(path == "/v1/campaigns/c?1/x/attempts");
  CHECK(segments == std::vector<std::string>{"v1", "campaigns", "c?1/x", "attempts"});
  CHECK(q.size() == 2);
  CHECK(q["limit"] == "5");
  CHECK(q["verdict"] == hostile);
}
