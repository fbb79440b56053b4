// `ksearch isa ...`: search and read the ISA corpus from the command line.
//   isa search "QUERY" [--arch A] [--limit N] [--json]
//   isa show ID                      chapter id, rules id or passage id (id#section)
//   isa retrieve "QUERY" [--arch A] [--axis X] [--bottleneck B] [--budget BYTES] [--json]
//   isa manifest [--write | --check] regenerate or verify isa_corpus/manifest.json
// Every subcommand takes --corpus DIR (default: $KSEARCH_ISA_CORPUS, else the
// source tree's isa_corpus/), --docs DIR (user markdown) and --isa-xml FILE
// (AMD machine-readable ISA XML), both repeatable via comma lists.
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>
#include <sstream>

#include "cli/cli.h"
#include "ksearch/isa_corpus/arch.h"
#include "ksearch/isa_corpus/corpus.h"
#include "ksearch/isa_corpus/manifest.h"
#include "ksearch/planner/axis_catalogue.h"

namespace ksearch::cli {
namespace {

using isa_corpus::Corpus;
using nlohmann::json;

const std::set<std::string> kCorpusOptions = {"corpus", "docs", "isa-xml", "json"};

std::vector<std::string> CommaList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) if (!item.empty()) out.push_back(item);
  return out;
}

// Opens the corpus or prints the error; nullptr on failure.
std::unique_ptr<Corpus> OpenCorpus(const Args& args, Io io) {
  isa_corpus::CorpusOptions opts;
  opts.root = args.Get("corpus", isa_corpus::DefaultCorpusRoot());
  opts.markdown_dirs = CommaList(args.Get("docs"));
  opts.amd_isa_xml_files = CommaList(args.Get("isa-xml"));
  auto c = Corpus::Open(opts);
  if (!c.ok()) {
    io.err << "ksearch isa: " << c.status().message() << "\n";
    return nullptr;
  }
  return std::move(*c);
}

Status CheckArgs(const Args& args, std::set<std::string> known, size_t positional) {
  known.insert(kCorpusOptions.begin(), kCorpusOptions.end());
  KS_RETURN_IF_ERROR(args.CheckKnown(known));
  if (args.positional().size() != positional) {
    return Status::InvalidArgument("expected " + std::to_string(positional) + " argument(s), got " +
                                   std::to_string(args.positional().size()));
  }
  return Status::Ok();
}

// The arch names the corpus's chapters and rules are written for, sorted
// ("all" left out).
std::set<std::string> ArchsWithNotes(const Corpus& corpus) {
  std::set<std::string> out;
  for (const auto* docs : {&corpus.chapters(), &corpus.rules()})
    for (const auto& ch : *docs)
      for (const auto& a : ch->archs)
        if (a != "all") out.insert(a);
  return out;
}

// --arch of search and retrieve: a name no vendor owns is an error (exit 2);
// a real arch the corpus has nothing specific for gets a note on stderr, since
// its results are then only the vendor-wide notes (a user porting to a new
// GPU should know the facts are generic). Before 2026-11-25 both answered
// silently: `--arch sm_999` with NVIDIA-wide facts, `--arch h100` with NVIDIA
// passages and no hard rules, as if it named a GPU.
bool CheckArch(const Corpus& corpus, const std::string& arch, const char* command, Io io) {
  if (arch.empty()) return true;
  const std::set<std::string> known = ArchsWithNotes(corpus);
  std::string listed;
  for (const auto& a : known) listed += (listed.empty() ? "" : ", ") + a;
  const std::string vendor = isa_corpus::VendorOfArch(arch);
  if (vendor.empty()) {
    io.err << "ksearch isa " << command << ": unknown arch '" << arch
           << "': expected an NVIDIA sm_<n> or AMD gfx<n> name, or 'nvidia' or 'amd' (the corpus has notes for "
           << listed << ")\n";
    return false;
  }
  if (arch == vendor) return true;  // a vendor sees all of its notes
  for (const auto& a : isa_corpus::ArchFamily(arch))
    if (known.count(a)) return true;
  io.err << "note: the corpus has no notes or rules written for " << arch << "; these are the " << vendor
         << "-wide ones (arch-specific notes exist for " << listed << ")\n";
  return true;
}

int Usage(const Status& s, const char* usage, Io io) {
  io.err << "ksearch isa: " << s.message() << "\nusage: " << usage << "\n";
  return 2;
}

// First line of a passage body after its heading, for the human table.
std::string Snippet(const std::string& text, size_t max) {
  std::string out;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) {
    if (line.empty() || line[0] == '#') continue;  // headings are in the PASSAGE column
    out = line;
    break;
  }
  if (out.size() > max) out = out.substr(0, max - 3) + "...";
  return out;
}

const char* kSearchUsage = "ksearch isa search \"QUERY\" [--arch sm_90a] [--limit 10] [--json] [--corpus DIR]";
int RunSearch(const Args& args, Io io) {
  if (Status s = CheckArgs(args, {"arch", "limit"}, 1); !s.ok()) return Usage(s, kSearchUsage, io);
  auto limit = args.GetInt("limit", 10, 1, 10000);
  if (!limit.ok()) return Usage(limit.status(), kSearchUsage, io);
  auto corpus = OpenCorpus(args, io);
  if (!corpus) return 1;
  if (!CheckArch(*corpus, args.Get("arch"), "search", io)) return 2;
  auto hits = corpus->Search({args.positional()[0], args.Get("arch"), {}}, static_cast<int>(*limit));
  if (!hits.ok()) {
    io.err << "ksearch isa search: " << hits.status().message() << "\n";
    return 1;
  }
  if (args.json()) {
    json out = json::array();
    for (const auto& h : *hits) {
      out.push_back({{"passage", h.passage->id}, {"chapter", h.chapter->id}, {"title", h.chapter->title},
                     {"heading", h.passage->heading}, {"vendor", h.chapter->vendor}, {"archs", h.chapter->archs},
                     {"score", h.score}, {"text", h.passage->text}});
    }
    io.out << out.dump(2) << "\n";
    return 0;
  }
  if (hits->empty()) {
    io.out << "no passages match\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& h : *hits) {
    std::ostringstream score;
    score.precision(2);
    score << std::fixed << h.score;
    rows.push_back({score.str(), h.passage->id, Snippet(h.passage->text, 70)});
  }
  PrintTable(io.out, {"SCORE", "PASSAGE", "TEXT"}, rows);
  return 0;
}

const char* kShowUsage = "ksearch isa show CHAPTER[#SECTION] [--json] [--corpus DIR]";
int RunShow(const Args& args, Io io) {
  if (Status s = CheckArgs(args, {}, 1); !s.ok()) return Usage(s, kShowUsage, io);
  auto corpus = OpenCorpus(args, io);
  if (!corpus) return 1;
  const std::string& id = args.positional()[0];
  if (id.find('#') != std::string::npos) {
    const isa_corpus::Passage* p = corpus->FindPassage(id);
    if (p == nullptr) {
      io.err << "ksearch isa show: no passage '" << id << "' (see `ksearch isa show " << id.substr(0, id.find('#'))
             << "`)\n";
      return 1;
    }
    if (args.json()) {
      io.out << json{{"passage", p->id}, {"chapter", p->chapter_id}, {"heading", p->heading}, {"text", p->text}}.dump(2)
             << "\n";
    } else {
      io.out << p->text;
    }
    return 0;
  }
  const isa_corpus::Chapter* ch = corpus->FindChapter(id);
  if (ch == nullptr) {
    io.err << "ksearch isa show: no chapter '" << id << "' (try `ksearch isa search`)\n";
    return 1;
  }
  if (args.json()) {
    json sections = json::array();
    for (const auto& p : ch->passages) sections.push_back(p.id);
    io.out << json{{"id", ch->id}, {"title", ch->title}, {"vendor", ch->vendor}, {"archs", ch->archs},
                   {"topics", ch->topics}, {"terms", ch->terms}, {"sources", ch->sources}, {"path", ch->path},
                   {"sections", sections}, {"body", ch->body}}
                  .dump(2)
           << "\n";
    return 0;
  }
  io.out << "# " << ch->title << "  [" << ch->id << "]\n";
  std::string archs;
  for (const auto& a : ch->archs) archs += (archs.empty() ? "" : ", ") + a;
  io.out << "vendor: " << (ch->vendor.empty() ? "any" : ch->vendor) << "   archs: " << archs << "\n";
  for (const auto& s : ch->sources) io.out << "source: " << s << "\n";
  io.out << "\n" << ch->body;
  return 0;
}

const char* kRetrieveUsage =
    "ksearch isa retrieve \"QUERY\" [--arch A] [--axis X] [--bottleneck B] [--budget BYTES] [--json]";
int RunRetrieve(const Args& args, Io io) {
  if (Status s = CheckArgs(args, {"arch", "axis", "bottleneck", "budget"}, 1); !s.ok()) {
    return Usage(s, kRetrieveUsage, io);
  }
  auto budget = args.GetInt("budget", 6000, 0, int64_t{1} << 30);
  if (!budget.ok()) return Usage(budget.status(), kRetrieveUsage, io);
  if (const std::string bottleneck = args.Get("bottleneck"); !bottleneck.empty() && !planner::IsBottleneckClass(bottleneck))
    return Usage(Status::InvalidArgument("--bottleneck '" + bottleneck + "' is not one of " +
                                         planner::BottleneckClassList()),
                 kRetrieveUsage, io);
  auto corpus = OpenCorpus(args, io);
  if (!corpus) return 1;
  if (!CheckArch(*corpus, args.Get("arch"), "retrieve", io)) return 2;
  isa_corpus::RetrievalRequest req{args.positional()[0], args.Get("arch"), args.Get("axis"), args.Get("bottleneck")};
  auto packet = corpus->Retrieve(req, static_cast<size_t>(*budget));
  if (!packet.ok()) {
    io.err << "ksearch isa retrieve: " << packet.status().message() << "\n";
    return 1;
  }
  if (args.json()) {
    json items = json::array();
    for (const auto& it : packet->items) {
      const char* kind = it.kind == isa_corpus::PacketItem::Kind::kRule   ? "rule"
                         : it.kind == isa_corpus::PacketItem::Kind::kFact ? "fact"
                                                                          : "passage";
      items.push_back({{"kind", kind}, {"source", it.source}, {"bytes", it.text.size()}});
    }
    io.out << json{{"topics", packet->topics}, {"truncated", packet->truncated}, {"bytes", packet->text.size()},
                   {"items", items}, {"text", packet->text}}
                  .dump(2)
           << "\n";
  } else {
    io.out << packet->text;
  }
  return 0;
}

const char* kManifestUsage = "ksearch isa manifest [--write | --check] [--corpus DIR]";
int RunManifest(const Args& args, Io io) {
  if (Status s = CheckArgs(args, {"write", "check"}, 0); !s.ok()) return Usage(s, kManifestUsage, io);
  auto corpus = OpenCorpus(args, io);
  if (!corpus) return 1;
  if (args.Has("check")) {
    Status s = isa_corpus::CheckManifest(*corpus);
    if (!s.ok()) {
      io.err << "ksearch isa manifest: " << s.message() << "\n";
      return 1;
    }
    if (args.json()) io.out << json{{"manifest", corpus->root() + "/manifest.json"}, {"up_to_date", true}}.dump() << "\n";
    else io.out << "manifest.json is up to date\n";
    return 0;
  }
  const std::string text = isa_corpus::BuildManifest(*corpus);
  if (!args.Has("write")) {
    io.out << text;
    return 0;
  }
  const std::string path = corpus->root() + "/manifest.json";
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) {
    io.err << "ksearch isa manifest: cannot write " << path << "\n";
    return 1;
  }
  if (args.json())
    io.out << json{{"wrote", path}, {"chapters", corpus->chapters().size()}, {"rules", corpus->rules().size()}}.dump()
           << "\n";
  else
    io.out << "wrote " << path << " (" << corpus->chapters().size() << " chapters, " << corpus->rules().size()
           << " rules)\n";
  return 0;
}

}  // namespace

KSEARCH_CLI_COMMAND("isa search", kSearchUsage, "full-text search of the ISA corpus (BM25), filtered by arch",
                    {"json"}, &RunSearch);
KSEARCH_CLI_COMMAND("isa show", kShowUsage, "print one ISA chapter, rules file or section", {"json"}, &RunShow);
KSEARCH_CLI_COMMAND("isa retrieve", kRetrieveUsage, "print the ISA packet a proposal would get", {"json"},
                    &RunRetrieve);
KSEARCH_CLI_COMMAND("isa manifest", kManifestUsage, "print, write or check isa_corpus/manifest.json",
                    {"json", "write", "check"}, &RunManifest);

}  // namespace ksearch::cli
