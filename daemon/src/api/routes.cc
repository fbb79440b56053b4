#include "api/routes.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <vector>

#include "api/auth.h"
#include "ksearch/core/verdict.h"

namespace ksearch::daemon {
namespace {

using nlohmann::json;

// A campaign id the API can address: one path segment that is not "." or
// "..", without control bytes. Not the spec's grammar (IsValidCampaignId):
// that is for new campaigns, and a log written before it was enforced may
// hold a campaign under another id, which must still be inspected, stopped
// and exported. An id no campaign has is a 404 from the plane.
bool AddressableId(const std::string& id) {
  if (id == "." || id == "..") return false;
  return std::none_of(id.begin(), id.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

int StatusFor(const Status& s) {
  switch (s.code()) {
    case Status::Code::kNotFound: return 404;
    case Status::Code::kInvalidArgument: return 400;
    case Status::Code::kFailedPrecondition: return 409;
    case Status::Code::kUnavailable: return 503;
    default: return 500;
  }
}

ApiResponse FromResult(const Result<json>& r) {
  if (!r.ok()) return ApiResponse::Error(StatusFor(r.status()), r.status().message());
  return ApiResponse::Json(200, r->dump());
}

ApiResponse FromStatus(const Status& s) {
  if (!s.ok()) return ApiResponse::Error(StatusFor(s), s.message());
  return ApiResponse::Json(200, json{{"ok", true}}.dump());
}

bool ParseInt(const std::string& text, int64_t& out) {
  if (text.empty()) return false;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && p == text.data() + text.size();
}

ApiResponse MethodNotAllowed(const std::string& allowed) {
  auto r = ApiResponse::Error(405, "method not allowed; use " + allowed);
  r.headers["Allow"] = allowed;
  return r;
}

// The request's body as a JSON object, or the 400 that says why it is not one.
std::optional<ApiResponse> ParseObjectBody(const ApiRequest& req, json& body) {
  try {
    body = json::parse(req.body);
  } catch (const json::parse_error& e) {
    return ApiResponse::Error(400, std::string("body is not JSON: ") + e.what());
  }
  if (!body.is_object()) return ApiResponse::Error(400, "body must be a JSON object");
  return std::nullopt;
}

ApiResponse StartCampaign(const ApiRequest& req, ControlPlane& plane) {
  json body;
  if (auto bad = ParseObjectBody(req, body)) return *bad;
  if (!body.contains("spec_yaml") || !body["spec_yaml"].is_string())
    return ApiResponse::Error(400, "field 'spec_yaml' (string) is required");
  std::string source = "request";
  if (body.contains("source")) {
    if (!body["source"].is_string()) return ApiResponse::Error(400, "field 'source' must be a string");
    source = body["source"].get<std::string>();
  }
  for (const auto& [k, v] : body.items())
    if (k != "spec_yaml" && k != "source") return ApiResponse::Error(400, "unknown field '" + k + "'");
  auto r = plane.StartCampaign(body["spec_yaml"].get<std::string>(), source);
  if (!r.ok()) return FromResult(r);
  return ApiResponse::Json(201, r->dump());
}

// POST /v1/campaigns/{id}/extend: {"attempts": int, "wall_seconds": number,
// "money_usd": number, "plateau_window": int}, each optional and >= 0, at
// least one; increments except plateau_window (the new window).
ApiResponse ExtendCampaign(const ApiRequest& req, const std::string& id, ControlPlane& plane) {
  json body;
  if (auto bad = ParseObjectBody(req, body)) return *bad;
  planner::BudgetExtension add;
  for (const auto& [k, v] : body.items()) {
    const bool whole = v.is_number_integer() && v.get<int64_t>() >= 0;
    const bool number = v.is_number() && v.get<double>() >= 0;
    if (k == "attempts") {
      if (!whole) return ApiResponse::Error(400, "field 'attempts' must be a non-negative integer");
      add.attempts = v.get<int64_t>();
    } else if (k == "plateau_window") {
      if (!whole || v.get<int64_t>() > 1000000000) return ApiResponse::Error(400, "field 'plateau_window' must be an integer 0..1000000000");
      add.plateau_window = static_cast<int>(v.get<int64_t>());
    } else if (k == "wall_seconds" || k == "money_usd") {
      if (!number) return ApiResponse::Error(400, "field '" + k + "' must be a non-negative number");
      (k == "wall_seconds" ? add.wall_seconds : add.money_usd) = v.get<double>();
    } else {
      return ApiResponse::Error(400, "unknown field '" + k + "' (attempts, wall_seconds, money_usd, plateau_window)");
    }
  }
  if (add.empty())
    return ApiResponse::Error(400, "nothing to extend: give attempts, wall_seconds or money_usd above 0, or plateau_window");
  return FromResult(plane.ExtendCampaign(id, add));
}

ApiResponse CampaignRoute(const ApiRequest& req, const std::vector<std::string>& parts,
                          ControlPlane& plane) {
  const std::string& id = parts[2];
  if (!AddressableId(id)) return ApiResponse::Error(400, "malformed campaign id");
  if (parts.size() == 3) {
    if (req.method != "GET") return MethodNotAllowed("GET");
    return FromResult(plane.CampaignStatus(id));
  }
  if (parts.size() != 4) return ApiResponse::Error(404, "no such endpoint: " + req.path);
  const std::string& what = parts[3];
  if (what == "pause" || what == "resume" || what == "stop") {
    if (req.method != "POST") return MethodNotAllowed("POST");
    if (what == "pause") return FromStatus(plane.PauseCampaign(id));
    if (what == "resume") return FromStatus(plane.ResumeCampaign(id));
    return FromStatus(plane.StopCampaign(id));
  }
  if (what == "extend") {
    if (req.method != "POST") return MethodNotAllowed("POST");
    return ExtendCampaign(req, id, plane);
  }
  if (req.method != "GET") return MethodNotAllowed("GET");
  if (what == "attempts") {
    AttemptQuery q;
    for (const auto& [k, v] : req.query) {
      if (k == "limit") {
        if (!ParseInt(v, q.limit) || q.limit < 1 || q.limit > 100000)
          return ApiResponse::Error(400, "limit must be an integer 1..100000");
      } else if (k == "offset") {
        if (!ParseInt(v, q.offset) || q.offset < 0)
          return ApiResponse::Error(400, "offset must be a non-negative integer");
      } else if (k == "verdict") {
        // A value no verdict starts with is a typo, not a filter for nothing.
        if (!IsVerdictPrefixFilter(v))
          return ApiResponse::Error(400, "verdict: unknown verdict '" + v + "' (" + KnownVerdictKinds() + ")");
        q.verdict = v;
      } else {
        return ApiResponse::Error(400, "unknown query parameter '" + k + "'");
      }
    }
    return FromResult(plane.Attempts(id, q));
  }
  if (what == "best") return FromResult(plane.Best(id));
  if (what == "frontier") return FromResult(plane.Frontier(id));
  if (what == "export") return FromResult(plane.Export(id));
  return ApiResponse::Error(404, "no such endpoint: " + req.path);
}

ApiResponse DeadEndsRoute(const ApiRequest& req, ControlPlane& plane) {
  if (req.method != "GET") return MethodNotAllowed("GET");
  DeadEndQuery q;
  for (const auto& [k, v] : req.query) {
    if (k == "task") q.task = v;
    else if (k == "arch") q.arch = v;
    else if (k == "axis") q.axis = v;
    else if (k == "class") {
      if (!IsVerdictClassFilter(v))
        return ApiResponse::Error(400, "class: unknown verdict kind in '" + v + "' (" + KnownVerdictKinds() + ")");
      q.failure_class = v;
    }
    else if (k == "since_ms") {
      if (!ParseInt(v, q.since_ms) || q.since_ms < 0)
        return ApiResponse::Error(400, "since_ms must be a non-negative integer");
    } else {
      return ApiResponse::Error(400, "unknown query parameter '" + k + "'");
    }
  }
  return FromResult(plane.DeadEnds(q));
}

}  // namespace

ApiResponse HandleApiRequest(const ApiRequest& req, const std::string& token, ControlPlane& plane) {
  if (!CheckBearer(req.authorization, token)) {
    auto r = ApiResponse::Error(401, "missing or wrong bearer token");
    r.headers["WWW-Authenticate"] = "Bearer";
    return r;
  }
  if (req.path == "/metrics") {
    if (req.method != "GET") return MethodNotAllowed("GET");
    ApiResponse r;
    r.content_type = "text/plain; version=0.0.4";
    r.body = plane.MetricsText();
    return r;
  }
  const std::vector<std::string>& parts = req.segments;
  if (parts.size() >= 2 && parts[0] == "v1") {
    if (parts[1] == "campaigns") {
      if (parts.size() == 2) {
        if (req.method == "GET") return ApiResponse::Json(200, plane.ListCampaigns().dump());
        if (req.method == "POST") return StartCampaign(req, plane);
        return MethodNotAllowed("GET, POST");
      }
      return CampaignRoute(req, parts, plane);
    }
    if (parts[1] == "deadends" && parts.size() == 2) return DeadEndsRoute(req, plane);
    if (parts[1] == "slots" && parts.size() == 2) {
      if (req.method != "GET") return MethodNotAllowed("GET");
      return ApiResponse::Json(200, plane.Slots().dump());
    }
  }
  return ApiResponse::Error(404, "no such endpoint: " + req.path);
}

}  // namespace ksearch::daemon
