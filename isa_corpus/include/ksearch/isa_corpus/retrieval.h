// Retrieval requests and the packet they produce.
//
// Contract of Corpus::Retrieve(request, budget_bytes):
//  1. the hard rules of request.arch come first, whole, in id order; if they
//     alone exceed the budget they are cut at a line boundary and the packet
//     is marked truncated (rules are never silently dropped);
//  2. then the key facts of the topics routed by (axis, bottleneck);
//  3. then passages ranked by BM25 over the query text plus the routed
//     topics' terms, chapters of routed topics boosted, filtered by arch;
//     passages that do not fit are skipped, smaller later ones may still fit.
//  packet.text.size() <= budget_bytes always.
// Thread-safety: plain values.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace ksearch::isa_corpus {

struct RetrievalRequest {
  std::string query;       // free text: the axis goal, profiler highlights, ...
  std::string arch;        // target, e.g. "sm_90a", "gfx942"; "" = any
  std::string axis;        // optimization axis name as in configs/axes.yaml
  std::string bottleneck;  // "memory" | "compute" | "latency" | "launch" | ""
  int max_passages = 6;    // cap on ranked passages
};

struct PacketItem {
  enum class Kind { kRule, kFact, kPassage };
  Kind kind;
  std::string source;  // rules/chapter id, "topic:<name>", or passage id
  std::string text;    // as rendered into the packet
};

struct Packet {
  std::vector<PacketItem> items;        // in packet order
  std::vector<std::string> topics;      // routed topic names
  std::string text;                     // the rendered packet
  bool truncated = false;               // rules were cut to fit
};

}  // namespace ksearch::isa_corpus
