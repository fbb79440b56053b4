// TopicMap: the routing table loaded from isa_corpus/topics.yaml.
//
//   topics:
//     wgmma:
//       chapters: [hopper-wgmma]          # chapter ids (checked against the corpus)
//       terms: [wgmma, warpgroup]         # added to the query when routed
//       facts: ["wgmma needs sm_90a ..."] # one-line key facts, cited
//   axes:                                 # optimization axis -> topics
//     tensor_cores: [wgmma, mma_sync, mfma]
//   bottlenecks:                          # memory|compute|latency|launch -> topics
//     memory: [vector_loads, smem_banks]
//
// Thread-safety: immutable after load.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ksearch/core/status.h"

namespace ksearch::isa_corpus {

struct Topic {
  std::string name;
  std::vector<std::string> chapters;
  std::vector<std::string> terms;
  std::vector<std::string> facts;
};

struct TopicMap {
  std::map<std::string, Topic> topics;
  std::map<std::string, std::vector<std::string>> axes;         // axis -> topic names
  std::map<std::string, std::vector<std::string>> bottlenecks;  // class -> topic names

  // Topic names routed for an axis and a bottleneck class (either may be
  // empty), axis topics first, without duplicates.
  std::vector<std::string> Route(const std::string& axis, const std::string& bottleneck) const;
};

// Parses topics.yaml text. Errors name "<origin>:<line>:<col>: <key>: ...",
// reject unknown keys, and list every problem; an axis or bottleneck that
// names an undefined topic is an error.
Result<TopicMap> ParseTopics(const std::string& yaml_text, const std::string& origin);
Result<TopicMap> LoadTopics(const std::string& path);

}  // namespace ksearch::isa_corpus
