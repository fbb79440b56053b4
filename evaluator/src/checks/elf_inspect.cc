#include "checks/elf_inspect.h"

#include <sstream>

#include "checks/allowlist.h"

namespace ksearch::evaluator::checks {
namespace {

constexpr std::chrono::milliseconds kToolTimeout{60000};

Result<std::string> RunTool(std::vector<std::string> argv, ProcessLauncher& launcher,
                            const std::string& path) {
  ProcessSpec spec;
  spec.argv = std::move(argv);
  spec.timeout = kToolTimeout;
  spec.env_set["LC_ALL"] = "C";
  spec.max_output_bytes = 64 << 20;
  std::string tool = spec.argv[0];
  ProcessResult r = launcher.Run(spec);
  if (!r.started) return Status::Unavailable(tool + ": " + r.error);
  if (!r.Succeeded()) {
    std::string err = r.stderr_data.substr(0, 400);
    while (!err.empty() && (err.back() == '\n' || err.back() == '\r')) err.pop_back();
    return Status::InvalidArgument(path + ": " + tool + " failed (" + r.Describe() + "): " + err);
  }
  if (r.output_truncated) return Status::InvalidArgument(path + ": " + tool + " output too large");
  return r.stdout_data;
}

bool IsHex(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  return true;
}

}  // namespace

void ParseNmOutput(const std::string& text, ElfDynamicInfo& info) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::vector<std::string> tok;
    for (std::string t; ls >> t;) tok.push_back(t);
    if (tok.size() == 2 && tok[0].size() == 1) {  // "U name" / "w name"
      info.imports.push_back({StripSymbolVersion(tok[1]), tok[0][0]});
    } else if (tok.size() >= 3 && IsHex(tok[0]) && tok[1].size() == 1) {
      DynamicSymbol s{StripSymbolVersion(tok[2]), tok[1][0]};
      if (s.type == 'U' || s.type == 'w' || s.type == 'v')
        info.imports.push_back(s);
      else
        info.exports.push_back(s);
    }
  }
}

std::vector<std::string> ParseNeeded(const std::string& readelf_dynamic) {
  std::vector<std::string> out;
  std::istringstream in(readelf_dynamic);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("(NEEDED)") == std::string::npos) continue;
    size_t b = line.find('['), e = line.rfind(']');
    if (b != std::string::npos && e != std::string::npos && e > b)
      out.push_back(line.substr(b + 1, e - b - 1));
  }
  return out;
}

std::vector<SyscallSite> ParseObjdumpSyscalls(const std::string& objdump_text) {
  std::vector<SyscallSite> out;
  std::istringstream in(objdump_text);
  std::string line;
  std::string function = "<unknown>";
  while (std::getline(in, line)) {
    // Function labels: "0000000000001139 <ks_run>:"
    if (!line.empty() && line.back() == ':' && line.find('<') != std::string::npos) {
      size_t b = line.find('<'), e = line.rfind('>');
      if (e != std::string::npos && e > b) function = line.substr(b + 1, e - b - 1);
      continue;
    }
    // Instructions: "    1139:\tsyscall" (raw bytes suppressed by --no-show-raw-insn).
    size_t colon = line.find(":\t");
    if (colon == std::string::npos) continue;
    std::string addr = line.substr(0, colon);
    size_t a = addr.find_first_not_of(' ');
    if (a == std::string::npos || !IsHex(addr.substr(a))) continue;
    std::string insn = line.substr(colon + 2);
    size_t c = insn.find('#');
    if (c != std::string::npos) insn = insn.substr(0, c);
    std::istringstream is(insn);
    std::string mnem, operand;
    is >> mnem >> operand;
    bool hit = mnem == "syscall" || mnem == "sysenter" ||
               (mnem == "int" && (operand == "$0x80" || operand == "0x80"));
    if (hit) {
      std::string text = operand.empty() ? mnem : mnem + " " + operand;
      out.push_back({function, addr.substr(a), text});
    }
  }
  return out;
}

Result<ElfDynamicInfo> ReadDynamicInfo(const std::string& path, ProcessLauncher& launcher) {
  auto nm = RunTool({"nm", "-D", path}, launcher, path);
  if (!nm.ok()) return nm.status();
  auto re = RunTool({"readelf", "-d", "-W", path}, launcher, path);
  if (!re.ok()) return re.status();
  ElfDynamicInfo info;
  ParseNmOutput(*nm, info);
  info.needed = ParseNeeded(*re);
  return info;
}

Result<std::set<std::string>> ReadDefinedSymbols(const std::string& path,
                                                 ProcessLauncher& launcher) {
  auto nm = RunTool({"nm", "-D", "--defined-only", path}, launcher, path);
  if (!nm.ok()) return nm.status();
  ElfDynamicInfo info;
  ParseNmOutput(*nm, info);
  std::set<std::string> out;
  for (const auto& s : info.exports) out.insert(s.name);
  return out;
}

Result<std::vector<SyscallSite>> FindRawSyscalls(const std::string& path,
                                                 ProcessLauncher& launcher) {
  auto od = RunTool({"objdump", "-d", "--no-show-raw-insn", "-M", "att", path}, launcher, path);
  if (!od.ok()) return od.status();
  return ParseObjdumpSyscalls(*od);
}

}  // namespace ksearch::evaluator::checks
