// Corpus::Retrieve: hard rules, then routed topic facts, then ranked passages,
// within a byte budget. The invariant packet.text.size() <= budget holds on
// every return path.
#include <algorithm>

#include "ksearch/isa_corpus/arch.h"
#include "ksearch/isa_corpus/corpus.h"

namespace ksearch::isa_corpus {
namespace {

// Cuts `text` to at most `max` bytes at a line boundary, with a marker line.
std::string CutAtLine(const std::string& text, size_t max) {
  static const std::string kMarker = "[... rules truncated to fit the budget]\n";
  if (text.size() <= max) return text;
  if (max <= kMarker.size()) return "";
  size_t keep = text.rfind('\n', max - kMarker.size());
  keep = keep == std::string::npos ? 0 : keep + 1;
  return text.substr(0, keep) + kMarker;
}

}  // namespace

Result<Packet> Corpus::Retrieve(const RetrievalRequest& request, size_t budget_bytes) const {
  Packet packet;
  auto append = [&](PacketItem item) -> bool {
    if (packet.text.size() + item.text.size() > budget_bytes) return false;
    packet.text += item.text;
    packet.items.push_back(std::move(item));
    return true;
  };

  // 1. Hard rules of the target, always first.
  for (const Chapter* rules : RulesFor(request.arch)) {
    std::string text = "## Hard rules: " + rules->title + " [" + rules->id + "]\n" + rules->body;
    if (text.back() != '\n') text.push_back('\n');
    if (!append(PacketItem{PacketItem::Kind::kRule, rules->id, text})) {
      std::string cut = CutAtLine(text, budget_bytes - packet.text.size());
      packet.truncated = true;
      if (!cut.empty()) append(PacketItem{PacketItem::Kind::kRule, rules->id, cut});
      return packet;
    }
  }

  // 2. Key facts of the routed topics.
  packet.topics = topics_.Route(request.axis, request.bottleneck);
  std::string expansion;
  std::vector<std::string> boost;
  for (const std::string& name : packet.topics) {
    const Topic& topic = topics_.topics.at(name);
    for (const auto& t : topic.terms) expansion += " " + t;
    for (const auto& c : topic.chapters) {
      const Chapter* ch = FindChapter(c);
      if (ch != nullptr && AppliesTo(request.arch, ch->vendor, ch->archs)) boost.push_back(c);
    }
    // Facts of topics whose chapters all belong to another vendor are noise.
    if (topic.facts.empty() || (!topic.chapters.empty() && std::none_of(topic.chapters.begin(), topic.chapters.end(), [&](const std::string& c) {
          return std::find(boost.begin(), boost.end(), c) != boost.end();
        }))) {
      continue;
    }
    std::string text = "## Key facts: " + name + "\n";
    for (const auto& f : topic.facts) text += "- " + f + "\n";
    append(PacketItem{PacketItem::Kind::kFact, "topic:" + name, text});
  }

  // 3. Ranked passages; the first passage of each boosted chapter is a
  // fallback when the text query matches nothing.
  SearchQuery q{request.query + expansion, request.arch, boost};
  auto hits = Search(q, std::max(request.max_passages * 4, 16));
  if (!hits.ok()) return hits.status();
  std::vector<const Passage*> ranked;
  for (const Hit& h : *hits) ranked.push_back(h.passage);
  for (const std::string& c : boost) ranked.push_back(&FindChapter(c)->passages.front());
  int added = 0;
  std::vector<const Passage*> used;
  for (const Passage* p : ranked) {
    if (added >= request.max_passages) break;
    if (std::find(used.begin(), used.end(), p) != used.end()) continue;
    used.push_back(p);
    const Chapter* ch = FindChapter(p->chapter_id);
    std::string text = "## [" + p->id + "] " + ch->title + (p->heading.empty() ? "" : " / " + p->heading) + "\n";
    const std::string& body = p->text;
    // The section's own "## heading" line is already in the label line.
    size_t start = body.rfind("## ", 0) == 0 ? body.find('\n') + 1 : 0;
    text += body.substr(std::min(start, body.size()));
    if (text.back() != '\n') text.push_back('\n');
    if (append(PacketItem{PacketItem::Kind::kPassage, p->id, text})) ++added;
  }
  return packet;
}

}  // namespace ksearch::isa_corpus
