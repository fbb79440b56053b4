#include "ksearch/evaluator/run_wire.h"

#include <charconv>

#include "packet_internal.h"

namespace ksearch::evaluator {
namespace {

using nlohmann::json;

constexpr std::string_view kFrameHead = "{\"evidence_text_bytes\":";
constexpr std::string_view kTextKey = ",\"evidence_text\":";

// The framed form: true when `text` is one, with `out` filled from it.
bool ParseFramed(std::string_view text, RunResult& out) {
  if (text.substr(0, kFrameHead.size()) != kFrameHead) return false;
  size_t pos = kFrameHead.size();
  size_t n = 0;
  auto [end, ec] = std::from_chars(text.data() + pos, text.data() + text.size(), n);
  if (ec != std::errc()) return false;
  pos = static_cast<size_t>(end - text.data());
  if (text.substr(pos, kTextKey.size()) != kTextKey) return false;
  pos += kTextKey.size();
  if (n < 2 || n >= text.size() - pos || text[pos] != '{' || text[pos + n - 1] != '}' || text[pos + n] != ',')
    return false;
  std::string rest = "{";
  rest.append(text.substr(pos + n + 1));
  out = json::parse(rest).get<RunResult>();  // throws on a malformed rest
  out.evidence_text.assign(text.substr(pos, n));
  return true;
}

}  // namespace

std::string RunResultWireText(RunResult r) {
  json kept = json::object();
  json rest = json::object();
  if (r.evidence.is_object()) {
    for (auto it = r.evidence.begin(); it != r.evidence.end(); ++it) {
      if (IsPacketMember(it.key()) || it.key() == "performance") kept[it.key()] = std::move(*it);
      else rest[it.key()] = std::move(*it);
    }
  }
  // Every packet has these two; defaulted here, where the sections are known.
  if (!rest.contains("validation")) rest["validation"] = json::array();
  if (!rest.contains("profile")) rest["profile"] = json::object();
  r.evidence = std::move(kept);
  const std::string text = rest.dump();
  const std::string head = json(r).dump();
  std::string out(kFrameHead);
  out += std::to_string(text.size());
  out += kTextKey;
  out += text;
  out += ',';
  out.append(head, 1, std::string::npos);
  out += '\n';
  return out;
}

bool ParseRunResultWire(std::string_view text, RunResult& out, std::string& why) {
  try {
    if (ParseFramed(text, out)) return true;
    // A plain RunResult document (or a frame with a wrong length: parsed whole).
    json j = json::parse(text);
    json more;
    if (auto it = j.find("evidence_text"); it != j.end()) {
      more = std::move(*it);
      j.erase(it);
    }
    out = TakeResultFromJson<RunResult>(j);
    if (more.is_object() && out.evidence.is_object())
      for (auto it = more.begin(); it != more.end(); ++it) out.evidence[it.key()] = std::move(*it);
    return true;
  } catch (const std::exception& e) {
    why = std::string("unparsable result: ") + e.what();
    return false;
  }
}

}  // namespace ksearch::evaluator
