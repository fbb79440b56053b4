// Machine-code inspection without a GPU: disassembly (cuobjdump -sass for CUDA,
// objdump -d for host) -> instruction-family histogram, expected-path checks and
// a fingerprint (sha256 of the normalized instruction stream, names and
// addresses removed) that lets the pipeline skip duplicates.
// Thread-safety: pure apart from launching the disassembler.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ksearch/core/eval_protocol.h"
#include "ksearch/core/process.h"

namespace ksearch::evaluator {

struct MachineCode {
  bool ok = false;
  std::string error;
  std::string fingerprint;                 // hex sha256; empty when !ok
  std::map<std::string, int64_t> families; // family -> instruction count
  std::map<std::string, int64_t> opcodes;  // base opcode -> count
  std::vector<std::string> functions;      // kernel / function names
  int64_t instructions = 0;
  nlohmann::json ToJson() const;
};

// Parses `cuobjdump -sass` output.
MachineCode AnalyzeSass(const std::string& sass);
// Parses `objdump -d --no-show-raw-insn` output.
MachineCode AnalyzeObjdump(const std::string& text);

// Bumped whenever what the fingerprint covers changes; part of the build
// cache's key, so no cached build.json carries a fingerprint of another kind.
// 2: CUDA fingerprints cover device data and host code; .rodata normalized.
inline constexpr int kFingerprintVersion = 2;

// The initialized device data of a `cuobjdump -elf` dump, as canonical text:
// each .nv.constant<N> bank (N > 0: __constant__ variables and the compiler's
// literal pools; bank 0 is the parameter layout) and .nv.global.init (initialized
// __device__ variables), by section name, in dump order. Exposed for tests.
std::string DeviceInitializedData(const std::string& elf_dump);

// Runs the disassembler for `backend` on `library` and analyzes it.
// CUDA: the fingerprint covers what decides the candidate's behaviour beyond
// the SASS text: the device's initialized constant and global data
// (`cuobjdump -elf`) and the host code that launches the kernels (grid, block,
// shared memory, arguments: `host_disassembler`, objdump, over .text and
// .rodata). Without both it is empty: no machine-code duplicate is then
// claimed, rather than a wrong one. Host: `disassembler` alone.
MachineCode InspectLibrary(const std::string& disassembler, const std::string& host_disassembler, Backend backend,
                           const std::string& library, ProcessLauncher& launcher);

// Expected-path checks: for each claimed path ("wgmma", "mma", "cp.async", "tma",
// "ldmatrix", "shuffle", "no_local_memory", ...) whether the machine code shows it.
// Unknown names are reported with "known": false.
nlohmann::json CheckExpectedPaths(const MachineCode& mc, const std::vector<std::string>& expected);

// SASS opcode -> family name ("" for none). Exposed for tests.
std::string SassFamily(const std::string& opcode);

}  // namespace ksearch::evaluator
