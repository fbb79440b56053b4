#include <catch.hpp>

#include "machine_code.h"

using namespace ksearch::evaluator;

namespace {
// A fragment in the format cuobjdump -sass prints (Hopper).
const char* kSass = R"SASS(
	code for sm_90a
		Function : _Z4gemmPKfS0_Pf
	.headerflags	@"EF_CUDA_TEXMODE_UNIFIED EF_CUDA_64BIT_ADDRESS EF_CUDA_SM90 EF_CUDA_VIRTUAL_SM(EF_CUDA_SM90)"
        /*0000*/                   LDC R1, c[0x0][0x28] ;                                 /* 0x00000a00ff017b82 */
        /*0010*/                   S2R R0, SR_TID.X ;                                     /* 0x0000000000007919 */
        /*0020*/              @!P0 LDGSTS.E.BYPASS.128 [R3], desc[UR4][R4.64] ;           /* 0x0000000004037fae */
        /*0030*/                   HGMMA.64x128x16.F32.BF16 R24, gdesc[UR4], R24 ;        /* 0x0000000018187df0 */
        /*0040*/                   BAR.SYNC.DEFER_BLOCKING 0x0 ;                          /* 0x0000000000007b1d */
        /*0050*/                   STL.64 [R1], R2 ;                                      /* 0x0000000201007387 */
        /*0060*/                   MUFU.EX2 R5, R4 ;                                      /* 0x0000000400057308 */
        /*0070*/                   EXIT ;                                                 /* 0x000000000000794d */
)SASS";
}  // namespace

TEST_CASE("SASS histogram counts instruction families", "[evaluator][machine_code]") {
  MachineCode mc = AnalyzeSass(kSass);
  REQUIRE(mc.ok);
  CHECK(mc.instructions == 8);
  CHECK(mc.families["wgmma"] == 1);
  CHECK(mc.families["cp_async"] == 1);
  CHECK(mc.families["barrier"] == 1);
  CHECK(mc.families["local_memory"] == 1);
  CHECK(mc.families["sfu"] == 1);
  CHECK(mc.opcodes["LDGSTS"] == 1);  // predicate stripped, modifiers dropped
  CHECK(mc.functions == std::vector<std::string>{"_Z4gemmPKfS0_Pf"});
  CHECK(mc.fingerprint.size() == 64);

  auto checks = CheckExpectedPaths(mc, {"wgmma", "cp.async", "tma", "no_local_memory", "warp_magic"});
  CHECK(checks[0]["present"] == true);
  CHECK(checks[1]["present"] == true);
  CHECK(checks[2]["present"] == false);
  CHECK(checks[3]["present"] == false);  // STL present
  CHECK(checks[4]["known"] == false);
}

TEST_CASE("SASS fingerprint ignores addresses, encodings and names but not instructions", "[evaluator][machine_code]") {
  std::string renamed = kSass;
  renamed.replace(renamed.find("_Z4gemm"), 7, "_Z4xxxx");
  std::string moved = kSass;
  moved.replace(moved.find("0x00000a00ff017b82"), 18, "0x00000a00ff017b99");
  CHECK(AnalyzeSass(renamed).fingerprint == AnalyzeSass(kSass).fingerprint);
  CHECK(AnalyzeSass(moved).fingerprint == AnalyzeSass(kSass).fingerprint);
  std::string changed = kSass;
  changed.replace(changed.find("MUFU.EX2"), 8, "MUFU.RCP");
  CHECK(AnalyzeSass(changed).fingerprint != AnalyzeSass(kSass).fingerprint);
}

TEST_CASE("objdump analysis reads .text only and flags syscalls", "[evaluator][machine_code]") {
  const char* text = R"(
Disassembly of section .init:

0000000000001000 <_init>:
    1000:	sub    $0x8,%rsp

Disassembly of section .text:

0000000000001120 <ks_run>:
    1120:	vfmadd231ps %ymm1,%ymm2,%ymm0
    1126:	call   1030 <expf@plt>
    112b:	syscall
    112d:	ret
)";
  MachineCode mc = AnalyzeObjdump(text);
  REQUIRE(mc.ok);
  CHECK(mc.instructions == 4);
  CHECK(mc.families["fma"] == 1);
  CHECK(mc.families["syscall"] == 1);
  CHECK(mc.families["call"] == 1);
  CHECK(mc.functions == std::vector<std::string>{"ks_run"});
}

TEST_CASE("host fingerprint covers .rodata: a changed constant is not a duplicate", "[evaluator][machine_code]") {
  auto dump = [](const std::string& rodata) {
    return "Contents of section .rodata:\n 2000 " + rodata + "                    .. @...?\n\n"
           "Disassembly of section .text:\n\n0000000000001100 <f>:\n"
           "    1100:\tmulss  0xef8(%rip),%xmm0        # 2000 <_fini+0xeec>\n    1108:\tret\n";
  };
  MachineCode a = AnalyzeObjdump(dump("00002040 0000a03f")), b = AnalyzeObjdump(dump("00002040 0000a03f"));
  MachineCode c = AnalyzeObjdump(dump("00003040 0000a03f"));  // 2.5f became 2.75f
  REQUIRE(a.ok);
  CHECK(a.instructions == 2);
  CHECK(a.fingerprint == b.fingerprint);
  CHECK(a.fingerprint != c.fingerprint);
}

TEST_CASE("host .rodata is compared without nvcc's path hash in kernel names", "[evaluator][machine_code]") {
  // "_GLOBAL__N__860d4975_9_kern" split over two dump lines, as objdump -s prints it.
  auto dump = [](const std::string& hash_words, const std::string& value) {
    return "Contents of section .rodata:\n 2000 " + value + " 5f474c4f 42414c5f 5f4e5f5f  ....._GLOBAL__N__\n"
           " 2010 " + hash_words + " 5f395f6b  860d4975_9_k\n\n"
           "Disassembly of section .text:\n\n0000000000001100 <f>:\n    1100:\tret\n";
  };
  MachineCode a = AnalyzeObjdump(dump("38363064 34393735", "0000a03f"));
  MachineCode b = AnalyzeObjdump(dump("31663432 36616561", "0000a03f"));  // another build directory
  MachineCode c = AnalyzeObjdump(dump("38363064 34393735", "00003040"));  // another constant
  REQUIRE(a.ok);
  CHECK(a.fingerprint == b.fingerprint);
  CHECK(a.fingerprint != c.fingerprint);
  // An internal-linkage __constant__ variable's registered name: "_INTERNAL_15b75817_9".
  auto variable = [](const std::string& hash_words) {
    return "Contents of section .rodata:\n 2000 5f494e54 45524e41 4c5f" + hash_words +
           "  _INTERNAL_\n\nDisassembly of section .text:\n\n0000000000001100 <f>:\n    1100:\tret\n";
  };
  CHECK(AnalyzeObjdump(variable("3135 62373538")).fingerprint == AnalyzeObjdump(variable("3137 35386138")).fingerprint);
}

TEST_CASE("device data: the constant banks above 0 and initialized globals, from cuobjdump -elf", "[evaluator][machine_code]") {
  // The tail of a `cuobjdump -elf` dump: section contents by name.
  const char* dump = R"(
.section .strtab

.nv.constant3
0x3f800000 0x40000000 0x40400000 0x3fc00000

.nv.constant0._ZN39_GLOBAL__N__846fa4a6_9_kernel_cu_ks_run5ScaleEPKfPfx
0x00000000 0x00000000

.nv.global.init
0x00000001 0x00000002

.nv.constant2._ZN39_GLOBAL__N__846fa4a6_9_kernel_cu_ks_run5ScaleEPKfPfx
0x3e800000

.nv.info
0x00081204 0x00000000
)";
  const std::string data = DeviceInitializedData(dump);
  CHECK(data == ".nv.constant3\n0x3f800000 0x40000000 0x40400000 0x3fc00000\n"
                ".nv.global.init\n0x00000001 0x00000002\n"
                ".nv.constant2 (a kernel's)\n0x3e800000\n");  // the kernel's name, with its path hash, dropped
  CHECK(DeviceInitializedData("no sections here\n").empty());
}
