// SHA-256 for content addressing (blobs, candidate ids, hash chain, artifact cache).
// Uses the x86 SHA extensions where the CPU has them (src/sha256_blocks.h).
// Thread-safety: Sha256 instances are not shared; the free functions are pure.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace ksearch {

class Sha256 {
 public:
  Sha256();
  void Update(std::string_view data);
  void Update(const void* data, size_t size);
  std::array<uint8_t, 32> Digest();  // finalizes; the object must not be updated after
  std::string HexDigest();

 private:
  uint32_t h_[8];
  uint8_t buf_[64];
  size_t buf_len_ = 0;
  uint64_t total_ = 0;
};

// Lower-case hex sha256 of `data`.
std::string Sha256Hex(std::string_view data);

}  // namespace ksearch
