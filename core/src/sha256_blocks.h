// The SHA-256 compression function over whole 64-byte blocks, two ways:
// portable C++, and the x86 SHA extensions (SHA-NI) where the CPU has them.
// Sha256 picks one at start-up (Sha256BlocksFn()); the test runs both.
// `state` is the eight working words h0..h7 in FIPS 180-4 order.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ksearch::internal {

using Sha256Blocks = void (*)(uint32_t state[8], const uint8_t* data, size_t blocks);

void Sha256BlocksPortable(uint32_t state[8], const uint8_t* data, size_t blocks);
// nullptr where the CPU (or the compiler's target) has no SHA extensions.
Sha256Blocks Sha256BlocksShaNi();
// What Sha256 uses: SHA-NI when present, else portable; decided once.
Sha256Blocks Sha256BlocksFn();

}  // namespace ksearch::internal
