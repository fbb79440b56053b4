#pragma once
// JSON text written without building a nlohmann::json tree, for the daemon's
// hot paths that serialize long strings (an LLM prompt record is 10-20 KB of
// source and prose per attempt; nlohmann's serializer escapes it one code
// point at a time).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ksearch {

// Appends `s` to `out` as a JSON string literal, quotes included: byte for byte
// what nlohmann::json's dump() writes for that string with ensure_ascii off
// (\" \\ \b \f \n \r \t, other bytes below 0x20 as \u00xx, UTF-8 passed through).
// A string that is not valid UTF-8 is written as dump() writes it with
// error_handler_t::replace (each invalid sequence as U+FFFD), where dump()'s
// default would throw: the caller gets text, never an exception.
void AppendJsonString(std::string& out, std::string_view s);

// Appends `v` as a JSON number that reads back as the same double: the
// shortest round-trip digits, with ".0" added when they look like an integer
// (so a reader sees a float, as dump() writes 120.0). A value that is not
// finite is written `null`, as dump() writes it.
void AppendJsonNumber(std::string& out, double v);

// One JSON object written member by member, in the order of the calls, with
// no tree in between: for the small request documents the daemon writes per
// child (a request with a 10 KB source cost more through a nlohmann::json
// tree and dump() than the rest of the launch). The caller writes each key
// once; nothing checks it.
class JsonObjectText {
 public:
  JsonObjectText() : text_("{") {}
  JsonObjectText& Member(std::string_view key, std::string_view value);
  // A literal would otherwise become a bool (a standard conversion beats
  // string_view's).
  JsonObjectText& Member(std::string_view key, const char* value) { return Member(key, std::string_view(value)); }
  JsonObjectText& Member(std::string_view key, double value);
  JsonObjectText& Member(std::string_view key, uint64_t value);
  JsonObjectText& Member(std::string_view key, bool value);
  JsonObjectText& Member(std::string_view key, const std::vector<std::string>& value);
  JsonObjectText& Member(std::string_view key, const std::vector<double>& value);
  // `json` is already the text of one JSON value (e.g. another object's Take()).
  JsonObjectText& RawMember(std::string_view key, std::string_view json);
  // The object's text, closed. The writer is spent afterwards.
  std::string Take();

 private:
  void Key(std::string_view key);
  std::string text_;
};

}  // namespace ksearch
