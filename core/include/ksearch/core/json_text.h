#pragma once
// JSON text written without building a nlohmann::json tree, for the daemon's
// hot paths that serialize long strings (an LLM prompt record is 10-20 KB of
// source and prose per attempt; nlohmann's serializer escapes it one code
// point at a time).
#include <string>
#include <string_view>

namespace ksearch {

// Appends `s` to `out` as a JSON string literal, quotes included: byte for byte
// what nlohmann::json's dump() writes for that string with ensure_ascii off
// (\" \\ \b \f \n \r \t, other bytes below 0x20 as \u00xx, UTF-8 passed through).
// A string that is not valid UTF-8 is written as dump() writes it with
// error_handler_t::replace (each invalid sequence as U+FFFD), where dump()'s
// default would throw: the caller gets text, never an exception.
void AppendJsonString(std::string& out, std::string_view s);

}  // namespace ksearch
