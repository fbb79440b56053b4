// Chapter: one page of ISA notes (a markdown file with YAML front matter),
// split into passages at its "## " headings.
//
// A chapter file looks like:
//   ---
//   id: hopper-wgmma
//   title: Hopper warpgroup MMA (wgmma)
//   vendor: nvidia                 # nvidia | amd
//   archs: [sm_90, sm_90a]         # [all] = every arch of `vendor`
//   topics: [wgmma, tensor_cores]
//   terms: [wgmma.mma_async, warpgroup]
//   sources: ["NVIDIA PTX ISA 8.x"]
//   ---
//   markdown ...
// Each "## Heading" starts a passage addressed as "<id>#<slug>"; text before
// the first "## " is the passage "<id>#intro".
// Thread-safety: plain values.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ksearch/core/status.h"

namespace ksearch::isa_corpus {

struct Passage {
  std::string id;          // "<chapter id>#<slug>"
  std::string chapter_id;
  std::string heading;     // the "## " heading text; "" for the intro
  std::string text;        // markdown of the section, heading line included
};

struct Chapter {
  std::string id;                    // [a-z0-9-]+, unique in a corpus
  std::string title;
  std::string vendor;                // "nvidia", "amd", or "" (any vendor)
  std::vector<std::string> archs;    // "all" means every arch of `vendor`
  std::vector<std::string> topics;
  std::vector<std::string> terms;
  std::vector<std::string> sources;
  std::string path;                  // file it came from ("" if in-memory)
  std::string body;                  // markdown after the front matter
  std::vector<Passage> passages;     // in file order, never empty
};

// How strictly ParseChapter treats the front matter.
enum class FrontMatter {
  kRequired,   // corpus chapters: id, title, vendor, archs, topics, sources required
  kOptional,   // user documents: absent front matter is fine; fields default
};

// A markdown file split at its YAML front matter ("---" ... "---" or "...").
// A UTF-8 BOM and CR characters are dropped first.
struct FrontMatterSplit {
  bool present = false;       // the text starts with a "---" line
  bool unterminated = false;  // ... but has no closing line
  std::string yaml;           // the front matter text (empty if absent)
  std::string body;           // everything after the closing line
  int yaml_first_line = 0;    // 0-based file line of yaml's first line (1 when present)
};
FrontMatterSplit SplitFrontMatter(std::string_view text);

// Parses `text` (the whole file). `origin` names the file in error messages,
// which read "<origin>:<line>:<col>: <field>: <problem>" and list every
// problem found, one per line.
// With kOptional and no front matter, the id is "user-" + slug of
// `default_id_stem`, the title is the first "# " heading (or the stem), and
// the chapter applies to every vendor and arch.
Result<Chapter> ParseChapter(std::string_view text, const std::string& origin, FrontMatter mode,
                             std::string_view default_id_stem = "");

// Lower-case, [a-z0-9-] slug of a heading: "LDS banks & transposes" -> "lds-banks-transposes".
std::string Slugify(std::string_view heading);

// Splits a markdown body into passages of chapter `chapter_id`. Slugs are made
// unique within the chapter by appending "-2", "-3", ...
std::vector<Passage> SplitPassages(const std::string& chapter_id, std::string_view body);

// True if `id` matches [a-z0-9][a-z0-9-]*.
bool IsValidId(std::string_view id);

}  // namespace ksearch::isa_corpus
