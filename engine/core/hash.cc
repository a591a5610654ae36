#include "engine/core/hash.h"

namespace wirescan::core {

std::string Fnv64::Hex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  uint64_t v = state_;
  for (int i = 15; i >= 0; --i) {
    out[i] = kDigits[v & 0xf];
    v >>= 4;
  }
  return out;
}

}  // namespace wirescan::core
