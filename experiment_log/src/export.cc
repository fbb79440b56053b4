#include "ksearch/experiment_log/export.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace ksearch::experiment_log {
namespace {

std::string CsvField(const std::string& v) {
  if (v.find_first_of(",\"\n\r") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

Status WriteFileAtomically(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) return Status::IoError(tmp + ": cannot create: " + std::strerror(errno));
    f.write(content.data(), static_cast<std::streamsize>(content.size()));
    f.flush();
    if (!f) return Status::IoError(tmp + ": write failed: " + std::strerror(errno));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = Status::IoError(path + ": rename from " + tmp + " failed: " + std::strerror(errno));
    std::remove(tmp.c_str());
    return s;
  }
  return Status::Ok();
}

}  // namespace

std::string FrontierCsv(const std::vector<FrontierEntry>& frontier) {
  std::string out = "candidate,axis,state,failure_kind,attempts,failures\n";
  for (const auto& f : frontier) {
    out += CsvField(f.candidate) + "," + CsvField(f.axis) + "," +
           std::string(FrontierStateName(f.state)) + "," + CsvField(f.failure_kind) + "," +
           std::to_string(f.attempts) + "," + std::to_string(f.failures) + "\n";
  }
  return out;
}

Result<ExportSummary> ExportCampaign(ExperimentLog& log, const std::string& campaign_id,
                                     const std::string& out_dir) {
  EventFilter filter;
  filter.campaign_id = campaign_id;
  auto events = log.ReadEvents(filter);
  if (!events.ok()) return events.status();
  if (events->empty())
    return Status::NotFound(log.path() + ": no campaign '" + campaign_id + "'");
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return Status::IoError(out_dir + ": cannot create directory: " + ec.message());

  ExportSummary summary;
  summary.events = static_cast<int64_t>(events->size());
  std::string history;
  auto rows = BuildHistory(*events);
  for (const auto& r : rows) history += ToJson(r).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  summary.attempts = rows.size();
  std::string memory = ToJson(BuildMemory(*events)).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  auto frontier = BuildFrontier(*events, campaign_id);
  summary.frontier_rows = frontier.size();

  std::string csv = FrontierCsv(frontier);
  for (const auto& [name, content] : {std::pair<std::string, const std::string*>{"history.jsonl", &history},
                                      {"memory.json", &memory},
                                      {"frontier.csv", &csv}}) {
    std::string path = (std::filesystem::path(out_dir) / name).string();
    KS_RETURN_IF_ERROR(WriteFileAtomically(path, *content));
    summary.files.push_back(path);
  }
  return summary;
}

}  // namespace ksearch::experiment_log
