#include "ksearch/core/sha256.h"

#include <cstring>

#include "sha256_blocks.h"

namespace ksearch {

Sha256::Sha256()
    : h_{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
         0x5be0cd19} {}

void Sha256::Update(const void* data, size_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
  total_ += size;
  if (buf_len_ > 0) {
    size_t take = std::min(size, 64 - buf_len_);
    std::memcpy(buf_ + buf_len_, p, take);
    buf_len_ += take; p += take; size -= take;
    if (buf_len_ == 64) { internal::Sha256BlocksFn()(h_, buf_, 1); buf_len_ = 0; }
  }
  if (size >= 64) {
    internal::Sha256BlocksFn()(h_, p, size / 64);
    p += size / 64 * 64;
    size %= 64;
  }
  if (size > 0) { std::memcpy(buf_, p, size); buf_len_ = size; }
}

void Sha256::Update(std::string_view data) { Update(data.data(), data.size()); }

std::array<uint8_t, 32> Sha256::Digest() {
  uint64_t bits = total_ * 8;
  uint8_t pad = 0x80;
  Update(&pad, 1);
  // Zeros up to 56 bytes into a block (the next one if this one is past 56).
  static constexpr uint8_t kZeros[64] = {};
  Update(kZeros, buf_len_ <= 56 ? 56 - buf_len_ : 120 - buf_len_);
  uint8_t len[8];
  for (int i = 0; i < 8; ++i) len[i] = uint8_t(bits >> (56 - 8 * i));
  Update(len, 8);
  std::array<uint8_t, 32> out{};
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 4; ++j) out[4 * i + j] = uint8_t(h_[i] >> (24 - 8 * j));
  return out;
}

std::string Sha256::HexDigest() {
  static const char* kHex = "0123456789abcdef";
  auto d = Digest();
  std::string out(64, '0');
  for (int i = 0; i < 32; ++i) {
    out[2 * i] = kHex[d[i] >> 4];
    out[2 * i + 1] = kHex[d[i] & 15];
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  Sha256 h;
  h.Update(data);
  return h.HexDigest();
}

}  // namespace ksearch
