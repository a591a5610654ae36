#pragma once
// Stable 64-bit content hashing (FNV-1a). Unlike absl::Hash, the result is the same in every
// process and on every run, so it can name things outside the process: rule-set versions and
// event ids.
//
// Thread safety: Fnv64 is thread-compatible; the free functions are thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

namespace wirescan::core {

class Fnv64 {
 public:
  Fnv64& Add(std::string_view bytes) {
    for (unsigned char c : bytes) {
      state_ ^= c;
      state_ *= kPrime;
    }
    return *this;
  }
  // Adds a length-prefixed field, so ("ab","c") and ("a","bc") hash differently.
  Fnv64& AddField(std::string_view bytes) {
    AddU64(bytes.size());
    return Add(bytes);
  }
  Fnv64& AddU64(uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      state_ ^= static_cast<unsigned char>(v >> (8 * i));
      state_ *= kPrime;
    }
    return *this;
  }
  uint64_t value() const { return state_; }
  // 16 lower-case hex digits.
  std::string Hex() const;

 private:
  static constexpr uint64_t kOffset = 0xcbf29ce484222325ull;
  static constexpr uint64_t kPrime = 0x100000001b3ull;
  uint64_t state_ = kOffset;
};

}  // namespace wirescan::core
