// Reader for AMD's machine-readable GPU ISA specification (GPUOpen
// amdgpu_isa_*.xml, documented in GPUOpen-Tools/isa_spec_manager
// documentation/spec_documentation.md):
//   <Spec><Document>...</Document>
//     <ISA><Architecture><ArchitectureName>AMD CDNA 3</ArchitectureName></Architecture>
//       <Instructions><Instruction>
//         <InstructionName>V_MFMA_F32_32X32X8_F16</InstructionName>
//         <Description>...</Description>
//         <FunctionalGroup><Name>VALU</Name><Subgroup>MATRIX</Subgroup></FunctionalGroup>
//         <InstructionEncodings>...</InstructionEncodings>
//       </Instruction>...</Instructions>
//       <Encodings/> <DataFormats/> <OperandTypes/> <FunctionalGroups/>
//     </ISA></Spec>
// Only names, descriptions and functional groups are read; encodings are
// ignored. The result is one Chapter, one passage per instruction.
// Thread-safety: pure function.
#pragma once

#include <string>

#include "ksearch/isa_corpus/chapter.h"

namespace ksearch::isa_corpus {

// gfx name for an <ArchitectureName> ("AMD CDNA 3", "CDNA3", "MI300") or "".
std::string GfxForArchitectureName(const std::string& name);

// Parses the file at `path`. The chapter id is "amd-isa-xml-<slug of
// ArchitectureName>"; its archs are [arch_override] when given, else the gfx
// name derived from ArchitectureName, else [all]. Errors name the file.
Result<Chapter> ParseAmdIsaXml(const std::string& path, const std::string& arch_override);

}  // namespace ksearch::isa_corpus
