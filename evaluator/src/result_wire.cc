#include "ksearch/evaluator/result_wire.h"

#include <charconv>

#include "packet_internal.h"

namespace ksearch::evaluator {
namespace {

using nlohmann::json;

constexpr std::string_view kFrameHead = "{\"evidence_text_bytes\":";
constexpr std::string_view kTextKey = ",\"evidence_text\":";

// `text` (one JSON object) framed before the members of `head` (another).
std::string Frame(const std::string& text, const std::string& head) {
  std::string out(kFrameHead);
  out += std::to_string(text.size());
  out += kTextKey;
  out += text;
  out += ',';
  out.append(head, 1, std::string::npos);
  out += '\n';
  return out;
}

// The framed form: true when `text` is one, with `out` filled from it.
template <typename Result>
bool ParseFramed(std::string_view text, Result& out) {
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
  out = json::parse(rest).get<Result>();  // throws on a malformed rest
  out.evidence_text.assign(text.substr(pos, n));
  return true;
}

template <typename Result>
bool ParseWire(std::string_view text, Result& out, std::string& why) {
  try {
    if (ParseFramed(text, out)) return true;
    // A plain result document (or a frame with a wrong length: parsed whole).
    json j = json::parse(text);
    json more;
    if (auto it = j.find("evidence_text"); it != j.end()) {
      more = std::move(*it);
      j.erase(it);
    }
    out = TakeResultFromJson<Result>(j);
    if (more.is_object() && out.evidence.is_object())
      for (auto it = more.begin(); it != more.end(); ++it) out.evidence[it.key()] = std::move(*it);
    return true;
  } catch (const std::exception& e) {
    why = std::string("unparsable result: ") + e.what();
    return false;
  }
}

// Moves the sections of `evidence` for which `as_text` holds into the
// returned object; the others stay.
template <typename Pred>
json TakeTextSections(json& evidence, Pred as_text) {
  json text = json::object();
  if (!evidence.is_object()) {
    evidence = json::object();
    return text;
  }
  for (auto it = evidence.begin(); it != evidence.end();) {
    if (!as_text(it.key())) {
      ++it;
      continue;
    }
    text[it.key()] = std::move(*it);
    it = evidence.erase(it);
  }
  return text;
}

}  // namespace

std::string RunResultWireText(RunResult r) {
  json rest = TakeTextSections(r.evidence, [](const std::string& k) { return !IsPacketMember(k); });
  // Every packet has these three; defaulted here, where the sections are known.
  if (!rest.contains("validation")) rest["validation"] = json::array();
  if (!rest.contains("performance")) rest["performance"] = json::object();
  if (!rest.contains("profile")) rest["profile"] = json::object();
  return Frame(rest.dump(), json(r).dump());
}

std::string BuildResultWireText(BuildResult r) {
  json text = TakeTextSections(r.evidence, [](const std::string& k) { return IsBuildTextSection(k); });
  // Every packet has the three; defaulted here as BuildPacket defaults them.
  for (const char* k : kBuildSections)
    if (!text.contains(k)) text[k] = json::object();
  return Frame(text.dump(), json(r).dump());
}

bool ParseResultWire(std::string_view text, RunResult& out, std::string& why) { return ParseWire(text, out, why); }

bool ParseResultWire(std::string_view text, BuildResult& out, std::string& why) { return ParseWire(text, out, why); }

}  // namespace ksearch::evaluator
