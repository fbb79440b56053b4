#include "amd_isa_xml.h"

#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>
#include <cctype>
#include <fstream>
#include <map>

namespace ksearch::isa_corpus {
namespace {

namespace pt = boost::property_tree;

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Collapses runs of whitespace (the XML descriptions are wrapped) to one space.
std::string Squash(const std::string& s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
    } else {
      if (space) out.push_back(' ');
      out.push_back(c);
      space = false;
    }
  }
  return out;
}

}  // namespace

std::string GfxForArchitectureName(const std::string& name) {
  std::string u;
  for (char c : Upper(name)) if (c != ' ' && c != '_' && c != '-') u.push_back(c);
  if (u.find("CDNA4") != std::string::npos || u.find("MI350") != std::string::npos) return "gfx950";
  if (u.find("CDNA3") != std::string::npos || u.find("MI300") != std::string::npos) return "gfx942";
  if (u.find("CDNA2") != std::string::npos || u.find("MI200") != std::string::npos) return "gfx90a";
  if (u.find("CDNA1") != std::string::npos || u.find("MI100") != std::string::npos) return "gfx908";
  return "";
}

Result<Chapter> ParseAmdIsaXml(const std::string& path, const std::string& arch_override) {
  std::ifstream in(path);
  if (!in) return Status::NotFound(path + ": cannot open AMD ISA XML file");
  pt::ptree tree;
  try {
    pt::read_xml(in, tree, pt::xml_parser::trim_whitespace);
  } catch (const pt::xml_parser_error& e) {
    return Status::InvalidArgument(path + ":" + std::to_string(e.line()) + ": xml: " + e.message());
  }
  const auto spec = tree.get_child_optional("Spec");
  if (!spec) return Status::InvalidArgument(path + ": xml: root element must be <Spec> (AMD ISA XML format)");
  const auto isa = spec->get_child_optional("ISA");
  if (!isa) return Status::InvalidArgument(path + ": xml: <Spec> has no <ISA> element");
  const std::string arch_name = isa->get("Architecture.ArchitectureName", "");
  if (arch_name.empty()) {
    return Status::InvalidArgument(path + ": xml: ISA.Architecture.ArchitectureName is missing");
  }
  const auto instructions = isa->get_child_optional("Instructions");
  if (!instructions) return Status::InvalidArgument(path + ": xml: ISA has no <Instructions> element");

  Chapter ch;
  ch.id = "amd-isa-xml-" + Slugify(arch_name);
  ch.title = arch_name + " instruction reference (AMD machine-readable ISA)";
  ch.vendor = "amd";
  std::string gfx = arch_override.empty() ? GfxForArchitectureName(arch_name) : arch_override;
  ch.archs = {gfx.empty() ? "all" : gfx};
  ch.topics = {"isa_reference"};
  ch.sources = {"AMD machine-readable GPU ISA specification (" + arch_name + "), " + path};
  ch.path = path;
  int index = 0;
  std::map<std::string, int> seen;  // passage slugs must be unique
  for (const auto& [tag, inst] : *instructions) {
    ++index;
    if (tag != "Instruction") continue;
    const std::string name = Squash(inst.get("InstructionName", ""));
    if (name.empty()) {
      return Status::InvalidArgument(path + ": xml: Instruction #" + std::to_string(index) +
                                     " has no <InstructionName>");
    }
    const std::string desc = Squash(inst.get("Description", ""));
    const std::string group = Squash(inst.get("FunctionalGroup.Name", ""));
    const std::string subgroup = Squash(inst.get("FunctionalGroup.Subgroup", ""));
    Passage p;
    p.chapter_id = ch.id;
    std::string slug = Slugify(Lower(name));
    if (int n = ++seen[slug]; n > 1) slug += "-" + std::to_string(n);
    p.id = ch.id + "#" + slug;
    p.heading = name;
    p.text = "## " + name + "\n";
    if (!group.empty()) p.text += "Functional group: " + group + (subgroup.empty() ? "" : "/" + subgroup) + ".\n";
    p.text += (desc.empty() ? "(no description in the specification)" : desc) + "\n";
    ch.terms.push_back(Lower(name));
    ch.passages.push_back(std::move(p));
  }
  if (ch.passages.empty()) return Status::InvalidArgument(path + ": xml: <Instructions> lists no <Instruction>");
  // Terms of an XML chapter would repeat every instruction name on every
  // passage row; each passage carries its own name in its heading instead.
  ch.terms.clear();
  return ch;
}

}  // namespace ksearch::isa_corpus
