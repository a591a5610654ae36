#pragma once
// Debian's Abseil 20220623 is built with its own absl::string_view (not std::string_view), so
// absl::StrCat and friends do not take a std::string_view. Our code uses std::string_view and
// converts at the call with Sv().
//
// Thread safety: pure functions.

#include <string_view>

#include "absl/strings/string_view.h"

namespace wirescan::core {

inline absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

}  // namespace wirescan::core
