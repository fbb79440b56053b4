#include <algorithm>

#include "ksearch/planner/context_packet.h"

namespace ksearch::planner {

namespace {

const char* kSystem =
    "You are an expert GPU kernel engineer. You make exactly one targeted modification to a "
    "kernel along the named optimization axis, keeping it correct for every shape the contract "
    "allows. Only the evaluator's measurements count; do not claim speedups.";

const char* kFormat =
    "Reply format:\n"
    "Summary: <one line saying what you changed>\n"
    "then one or more blocks, each:\n"
    "<<<<<<< SEARCH\n<lines copied exactly from the current source>\n=======\n"
    "<replacement lines>\n>>>>>>> REPLACE\n"
    "Each SEARCH part must match exactly one place. If the change touches most of the file, "
    "reply instead with the whole new file in a single fenced code block.\n";

std::string Section(const std::string& title, const std::string& body) {
  return body.empty() ? "" : "## " + title + "\n" + body + "\n\n";
}

std::string Bullets(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += "- " + i + "\n";
  return out;
}

std::string CutTail(const std::string& s, size_t keep) {
  if (s.size() <= keep) return s;
  return s.substr(0, keep) + "\n[... truncated]";
}

struct Parts {
  std::vector<std::string> lineage, isa, dead;
  std::string skill, evidence, contract;
};

std::string Render(const ContextPacket& p, const Parts& v) {
  std::string out = "# Task " + p.task + " on " + p.arch + " (" + p.backend + " backend)\n\n";
  if (p.repair_failure.empty()) {
    out += "Make exactly one modification along the axis **" + p.axis + "**: " +
           p.axis_description + "\n\n";
  } else {
    out += "Your previous change along the axis **" + p.axis + "** failed with " +
           p.repair_failure + ". Fix that failure while keeping the intent of the change; "
           "change nothing else.\n\n";
    out += Section("Failure evidence", p.repair_evidence);
  }
  out += Section("Task contract", v.contract);
  out += Section("Parent evidence", v.evidence);
  out += Section("Technique notes", v.skill);
  out += Section("ISA facts for " + p.arch, Bullets(v.isa));
  out += Section("Dead ends already recorded for this axis (do not repeat them)", Bullets(v.dead));
  out += Section("Lineage (last steps)", Bullets(v.lineage));
  out += "## Current source (" + p.source_name + ")\n```\n" + p.source +
         (p.source.empty() || p.source.back() == '\n' ? "" : "\n") + "```\n\n";
  out += kFormat;
  return out;
}

}  // namespace

Result<Prompt> BuildPrompt(const ContextPacket& p, size_t budget) {
  Parts v{p.lineage, p.isa_facts, p.dead_ends, p.skill, p.evidence, p.contract};
  Prompt out;
  out.system = kSystem;
  // The common case, a prompt within budget, renders once.
  std::string whole = Render(p, v);
  if (out.system.size() + whole.size() <= budget) {
    out.user = std::move(whole);
    return out;
  }
  auto size = [&] { return out.system.size() + Render(p, v).size(); };
  auto mark = [&](const char* name) {
    if (out.truncated.empty() || out.truncated.back() != name) out.truncated.push_back(name);
  };
  // Fixed order; list parts drop one item at a time, text parts shrink to fit.
  while (size() > budget && !v.lineage.empty()) v.lineage.erase(v.lineage.begin()), mark("lineage");
  while (size() > budget && !v.isa.empty()) v.isa.pop_back(), mark("isa_facts");
  while (size() > budget && !v.dead.empty()) v.dead.pop_back(), mark("dead_ends");
  for (auto [text, name] : {std::pair{&v.skill, "skill"}, std::pair{&v.evidence, "evidence"},
                            std::pair{&v.contract, "contract"}}) {
    if (size() <= budget || text->empty()) continue;
    size_t over = size() - budget + 20;  // room for the truncation marker
    *text = over >= text->size() ? std::string() : CutTail(*text, text->size() - over);
    mark(name);
  }
  if (size() > budget)
    return Status::InvalidArgument("prompt budget of " + std::to_string(budget) +
                                   " characters is smaller than the source and instructions (" +
                                   std::to_string(size()) + ")");
  out.user = Render(p, v);
  return out;
}

std::string FormatFixMessage(const std::string& parse_error) {
  return std::string("Your reply could not be parsed: ") + parse_error +
         ".\nDo not redo the work or change your modification. Restate the same change in the "
         "required format only.\n\n" + kFormat;
}

}  // namespace ksearch::planner
