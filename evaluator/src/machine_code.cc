#include "machine_code.h"

#include <cctype>
#include <optional>
#include <regex>
#include <sstream>

#include "ksearch/core/sha256.h"

namespace ksearch::evaluator {
namespace {

std::string Trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t\r");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

// Families each expected path accepts.
const std::map<std::string, std::vector<std::string>>& PathFamilies() {
  static const std::map<std::string, std::vector<std::string>> k = {
      {"wgmma", {"wgmma"}},
      {"mma", {"mma", "wgmma", "imma"}},
      {"tensor_core", {"mma", "wgmma", "imma"}},
      {"cp.async", {"cp_async"}},
      {"tma", {"tma", "bulk_copy"}},
      {"bulk_copy", {"tma", "bulk_copy"}},
      {"ldmatrix", {"ldmatrix"}},
      {"shuffle", {"shuffle"}},
      {"mbarrier", {"mbarrier"}},
      {"fma", {"fp32_fma", "fma"}},
      {"simd", {"simd"}},
  };
  return k;
}

}  // namespace

std::string SassFamily(const std::string& op) {
  auto starts = [&](const char* p) { return op.rfind(p, 0) == 0; };
  if (starts("HGMMA") || starts("QGMMA") || starts("IGMMA") || starts("BGMMA")) return "wgmma";
  if (starts("HMMA") || starts("DMMA") || starts("BMMA")) return "mma";
  if (starts("IMMA")) return "imma";
  if (starts("LDGSTS") || starts("LDGDEPBAR")) return "cp_async";
  if (starts("UTMALDG") || starts("UTMASTG") || starts("UTMAPF") || starts("UTMACCTL") || starts("UTMAREDG")) return "tma";
  if (starts("UBLKCP") || starts("UBLKRED") || starts("UBLKPF")) return "bulk_copy";
  if (starts("SYNCS")) return "mbarrier";
  if (starts("BAR") || starts("WARPSYNC") || starts("DEPBAR")) return "barrier";
  if (starts("MUFU")) return "sfu";
  if (starts("LDL") || starts("STL")) return "local_memory";
  if (starts("LDSM") || starts("STSM")) return "ldmatrix";
  if (starts("LDS") || starts("STS")) return "shared_memory";
  if (starts("LDG") || starts("STG")) return "global_memory";
  if (starts("SHFL")) return "shuffle";
  if (starts("ATOM") || starts("RED")) return "atomic";
  if (starts("FFMA") || starts("FADD") || starts("FMUL")) return "fp32_fma";
  if (starts("HFMA2") || starts("HADD2") || starts("HMUL2")) return "fp16x2";
  if (starts("F2F") || starts("I2F") || starts("F2I") || starts("F2FP")) return "convert";
  return "";
}

nlohmann::json MachineCode::ToJson() const {
  nlohmann::json j = {{"ok", ok}, {"fingerprint", fingerprint}, {"instructions", instructions},
                      {"families", families}, {"functions", functions}};
  if (!error.empty()) j["error"] = error;
  // The 25 most frequent opcodes keep the packet small.
  std::vector<std::pair<int64_t, std::string>> top;
  for (auto& [op, n] : opcodes) top.push_back({-n, op});
  std::sort(top.begin(), top.end());
  nlohmann::json ops = nlohmann::json::object();
  for (size_t i = 0; i < top.size() && i < 25; ++i) ops[top[i].second] = -top[i].first;
  j["top_opcodes"] = ops;
  j["local_memory"] = families.count("local_memory") ? families.at("local_memory") : 0;
  return j;
}

MachineCode AnalyzeSass(const std::string& sass) {
  // Instruction lines look like:  /*0070*/   @!P0 LDG.E.128 R4, desc[UR4][R2.64] ;   /* 0x... */
  static const std::regex kInsn(R"(^\s*/\*[0-9a-f]{4,}\*/\s+(.*?)\s*;)");
  static const std::regex kFunc(R"(Function : (\S+))");
  MachineCode mc;
  Sha256 h;
  std::istringstream in(sass);
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, kFunc)) { mc.functions.push_back(m[1]); h.Update("\nF\n"); continue; }
    if (!std::regex_search(line, m, kInsn)) continue;
    std::string text = Trim(m[1]);
    h.Update(text);
    h.Update("\n");
    std::istringstream words(text);
    std::string op;
    words >> op;
    if (!op.empty() && op[0] == '@') words >> op;  // predicate
    std::string base = op.substr(0, op.find('.'));
    ++mc.instructions;
    ++mc.opcodes[base];
    if (std::string fam = SassFamily(op); !fam.empty()) ++mc.families[fam];
  }
  mc.ok = mc.instructions > 0;
  if (!mc.ok) mc.error = "no SASS instructions found";
  else mc.fingerprint = h.HexDigest();
  return mc;
}

namespace {

// Appends the bytes of one `objdump -s` line (" 2010 5f383630 64343937 ...  ascii")
// to `out`: up to four groups of hex digits after the address column.
void AppendDumpBytes(const std::string& line, std::string& out) {
  std::istringstream words(line);
  std::string address, group;
  words >> address;
  for (int i = 0; i < 4 && words >> group; ++i) {
    if (group.size() % 2 != 0 || group.find_first_not_of("0123456789abcdef") != std::string::npos) break;
    for (size_t k = 0; k < group.size(); k += 2)
      out.push_back(static_cast<char>(std::stoi(group.substr(k, 2), nullptr, 16)));
  }
}

// nvcc names an anonymous namespace, and internal-linkage device variables,
// after a hash of the translation unit's absolute path
// ("_GLOBAL__N__860d4975_9_kernel_cu_...", "_INTERNAL_860d4975_9_kernel_cu_..."),
// and the host code registers its kernels and variables by those names: every
// build directory gives other bytes. The hashes are blanked so the same source
// built twice fingerprints alike.
std::string NormalizeRodata(std::string bytes) {
  for (const std::string prefix : {"_GLOBAL__N__", "_INTERNAL_"}) {
    for (size_t at = bytes.find(prefix); at != std::string::npos; at = bytes.find(prefix, at + 1)) {
      size_t end = at + prefix.size();
      while (end < bytes.size() && std::isxdigit(static_cast<unsigned char>(bytes[end]))) bytes[end++] = '#';
    }
  }
  return bytes;
}

}  // namespace

MachineCode AnalyzeObjdump(const std::string& text) {
  // "    1139:\tvfmadd231ps %ymm1,%ymm2,%ymm0" ; function headers "0000000000001120 <ks_run>:"
  static const std::regex kInsn(R"(^\s*[0-9a-f]+:\s+([a-z][a-z0-9.]*)\s*(.*)$)");
  static const std::regex kFunc(R"(^[0-9a-f]+ <([^>]+)>:)");
  static const std::regex kSym(R"(<[^>]*>|\b0x[0-9a-f]+\(%rip\)|^[0-9a-f]+\b)");
  MachineCode mc;
  Sha256 h;
  std::istringstream in(text);
  std::string line;
  std::smatch m;
  bool in_text = false, in_rodata = false;
  // Constants loaded through %rip (float literals, tables) live in .rodata; the
  // instructions name only their address, so its bytes join the fingerprint
  // (else a change of a constant alone would read as a machine-code duplicate).
  // The bytes are rebuilt from the dump's hex columns and hashed as a whole.
  std::string rodata;
  auto flush_rodata = [&] {
    if (!in_rodata) return;
    h.Update("\nR\n");
    h.Update(NormalizeRodata(rodata));
    rodata.clear();
    in_rodata = false;
  };
  while (std::getline(in, line)) {
    if (line.rfind("Contents of section", 0) == 0) {
      flush_rodata();
      in_rodata = line.find(".rodata") != std::string::npos;
      continue;
    }
    if (in_rodata && !line.empty() && line[0] == ' ') {
      AppendDumpBytes(line, rodata);
      continue;
    }
    if (line.rfind("Disassembly of section", 0) == 0) {
      flush_rodata();
      in_text = line.find(".text") != std::string::npos;
      continue;
    }
    if (!in_text) continue;
    if (std::regex_search(line, m, kFunc)) { mc.functions.push_back(m[1]); continue; }
    if (!std::regex_search(line, m, kInsn)) continue;
    std::string op = m[1], args = m[2];
    bool branch = op[0] == 'j' || op.rfind("call", 0) == 0;
    h.Update(op + " " + (branch ? std::string() : std::regex_replace(args, kSym, "@")) + "\n");
    ++mc.instructions;
    ++mc.opcodes[op];
    if (op.find("fmadd") != std::string::npos || op.find("fmsub") != std::string::npos) ++mc.families["fma"];
    if (op[0] == 'v') ++mc.families["simd"];
    if (op.rfind("call", 0) == 0) ++mc.families["call"];
    if (op == "syscall" || op == "sysenter" || op == "int") ++mc.families["syscall"];
  }
  flush_rodata();
  mc.ok = mc.instructions > 0;
  if (!mc.ok) mc.error = "no .text instructions found";
  else mc.fingerprint = h.HexDigest();
  return mc;
}

std::string DeviceInitializedData(const std::string& elf_dump) {
  // Section contents follow a line holding just the section's name, as lines
  // of hex words ("0x3f800000 0x40000000 ..."), up to the next blank line.
  std::string out;
  std::istringstream in(elf_dump);
  std::string line;
  bool capture = false;
  while (std::getline(in, line)) {
    std::string t = Trim(line);
    if (capture && t.rfind("0x", 0) == 0) {
      out += t + "\n";
      continue;
    }
    capture = false;
    const bool constant_bank = t.rfind(".nv.constant", 0) == 0 && t.rfind(".nv.constant0", 0) != 0 &&
                               t.find(' ') == std::string::npos;
    if (constant_bank || t == ".nv.global.init") {
      capture = true;
      // A per-kernel bank is named after the kernel (".nv.constant2.<mangled
      // name>"), whose name holds nvcc's path hash: only the bank is kept.
      const size_t dot = t.find('.', std::string(".nv.constant").size());
      out += (constant_bank && dot != std::string::npos ? t.substr(0, dot) + " (a kernel's)" : t) + "\n";
    }
  }
  return out;
}

namespace {

// One disassembler run; on failure `error` says why and the result is empty.
std::optional<std::string> Disassemble(std::vector<std::string> argv, ProcessLauncher& launcher, std::string& error) {
  ProcessSpec spec;
  spec.argv = std::move(argv);
  spec.timeout = std::chrono::milliseconds(60000);
  spec.max_output_bytes = 64 << 20;
  ProcessResult r = launcher.Run(spec);
  if (!r.Succeeded()) {
    error = spec.argv[0] + ": " + r.Describe() + ": " + r.stderr_data.substr(0, 400);
    return std::nullopt;
  }
  return std::move(r.stdout_data);
}

std::vector<std::string> HostDisassembly(const std::string& objdump, const std::string& library) {
  return {objdump, "-d", "--no-show-raw-insn", "-s", "-j", ".text", "-j", ".rodata", library};
}

}  // namespace

MachineCode InspectLibrary(const std::string& disassembler, const std::string& host_disassembler, Backend backend,
                           const std::string& library, ProcessLauncher& launcher) {
  MachineCode mc;
  if (disassembler.empty()) { mc.error = "no disassembler found"; return mc; }
  std::string error;
  if (backend != Backend::kCuda) {
    auto text = Disassemble(HostDisassembly(disassembler, library), launcher, error);
    if (!text) { mc.error = error; return mc; }
    return AnalyzeObjdump(*text);
  }
  // One cuobjdump run prints both the SASS and the ELF sections' contents;
  // each parser reads only its own kind of line.
  auto device = Disassemble({disassembler, "-sass", "-elf", library}, launcher, error);
  if (!device) { mc.error = error; return mc; }
  mc = AnalyzeSass(*device);
  if (!mc.ok) return mc;
  // Two kernels with the same SASS still differ when a __constant__ table, an
  // initialized __device__ array or the host's launch configuration does.
  auto without_fingerprint = [&mc](const std::string& why) {
    mc.fingerprint.clear();
    mc.error = "fingerprint left empty (no machine-code duplicate will be claimed): " + why;
    return mc;
  };
  if (host_disassembler.empty()) return without_fingerprint("no host disassembler (objdump)");
  auto host = Disassemble(HostDisassembly(host_disassembler, library), launcher, error);
  if (!host) return without_fingerprint(error);
  MachineCode host_code = AnalyzeObjdump(*host);
  if (!host_code.ok) return without_fingerprint(host_code.error);
  mc.fingerprint = Sha256Hex("sass " + mc.fingerprint + "\ndevice data " + Sha256Hex(DeviceInitializedData(*device)) +
                             "\nhost " + host_code.fingerprint + "\n");
  return mc;
}

nlohmann::json CheckExpectedPaths(const MachineCode& mc, const std::vector<std::string>& expected) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& path : expected) {
    nlohmann::json c = {{"path", path}};
    if (path == "no_local_memory") {
      c["known"] = true;
      c["present"] = !mc.families.count("local_memory");
    } else if (auto it = PathFamilies().find(path); it != PathFamilies().end()) {
      int64_t n = 0;
      for (auto& f : it->second) if (auto fit = mc.families.find(f); fit != mc.families.end()) n += fit->second;
      c["known"] = true;
      c["present"] = n > 0;
      c["count"] = n;
    } else {
      c["known"] = false;
      c["present"] = false;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace ksearch::evaluator
