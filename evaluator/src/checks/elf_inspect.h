// Reads the dynamic-linking facts of a compiled candidate library with the
// binutils tools (nm, readelf, objdump), never by loading or executing it.
// Every tool runs through ProcessLauncher with a hard timeout, so a malformed
// binary cannot hang the evaluator.
// Thread-safety: pure apart from launching tools through `launcher`.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "ksearch/core/process.h"
#include "ksearch/core/status.h"

namespace ksearch::evaluator::checks {

struct DynamicSymbol {
  std::string name;  // as nm prints it, version suffix stripped
  char type = '?';   // nm type letter: U w v for imports, T W D B R V i u for definitions
};

struct ElfDynamicInfo {
  std::vector<DynamicSymbol> imports;  // undefined dynamic symbols, weak ones included
  std::vector<DynamicSymbol> exports;  // defined dynamic symbols
  std::vector<std::string> needed;     // DT_NEEDED sonames
};

// nm -D and readelf -d on `path`. Fails with a message naming the file when the
// tools cannot read it (not an ELF shared object, truncated, missing).
Result<ElfDynamicInfo> ReadDynamicInfo(const std::string& path, ProcessLauncher& launcher);

// The names of the defined dynamic symbols of a trusted library or executable.
Result<std::set<std::string>> ReadDefinedSymbols(const std::string& path, ProcessLauncher& launcher);

struct SyscallSite {
  std::string function;     // enclosing symbol from objdump, e.g. "ks_run+0x1c" or "<unknown>"
  std::string address;      // hex offset in the library
  std::string instruction;  // "syscall", "sysenter", "int $0x80"
  std::string ToString() const { return instruction + " at 0x" + address + " in " + function; }
};

// Disassembles every executable section (objdump -d) and returns each raw
// system-call instruction: syscall, sysenter, int $0x80. Device code is not in
// an executable host section, so it is not scanned (and cannot make syscalls).
Result<std::vector<SyscallSite>> FindRawSyscalls(const std::string& path, ProcessLauncher& launcher);

// Parsers, exposed for tests.
void ParseNmOutput(const std::string& text, ElfDynamicInfo& info);
std::vector<std::string> ParseNeeded(const std::string& readelf_dynamic);
std::vector<SyscallSite> ParseObjdumpSyscalls(const std::string& objdump_text);

}  // namespace ksearch::evaluator::checks
