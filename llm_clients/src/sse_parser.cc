#include "wire_protocol.h"

namespace ksearch::llm {

std::vector<SseParser::Event> SseParser::Feed(std::string_view bytes) {
  std::vector<Event> out;
  for (char ch : bytes) {
    if (ch != '\n') {
      line_.push_back(ch);
      continue;
    }
    if (!line_.empty() && line_.back() == '\r') line_.pop_back();
    if (line_.empty()) {  // dispatch
      if (has_data_ || !event_.empty()) out.push_back(Event{event_, data_});
      event_.clear();
      data_.clear();
      has_data_ = false;
      continue;
    }
    if (line_[0] != ':') {
      size_t colon = line_.find(':');
      std::string field = line_.substr(0, colon);
      std::string value;
      if (colon != std::string::npos) {
        value = line_.substr(colon + 1);
        if (!value.empty() && value[0] == ' ') value.erase(0, 1);
      }
      if (field == "event") {
        event_ = value;
      } else if (field == "data") {
        if (has_data_) data_.push_back('\n');
        data_ += value;
        has_data_ = true;
      }  // id, retry and unknown fields are ignored
    }
    line_.clear();
  }
  return out;
}

}  // namespace ksearch::llm
