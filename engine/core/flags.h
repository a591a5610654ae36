#pragma once
// Command-line flag helpers shared by the CLI's commands: "--flag VALUE" and "--flag=VALUE".
//
// Thread safety: pure functions.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace wirescan::core {

// `arg` is `flag` or "flag=...".
inline bool MatchesFlag(const std::string& arg, std::string_view flag) {
  return arg == flag || (arg.size() > flag.size() && arg.compare(0, flag.size(), flag) == 0 &&
                         arg[flag.size()] == '=');
}

// The value of `flag` at args[*i], in either form (*i moves past a separate value). False when
// args[*i] is not the flag or its separate value is missing.
inline bool TakeValue(const std::vector<std::string>& args, size_t* i, std::string_view flag,
                      std::string* out) {
  const std::string& a = args[*i];
  if (a == flag) {
    if (*i + 1 >= args.size()) return false;
    *out = args[++*i];
    return true;
  }
  if (a.size() > flag.size() && a.compare(0, flag.size(), flag) == 0 && a[flag.size()] == '=') {
    *out = a.substr(flag.size() + 1);
    return true;
  }
  return false;
}

}  // namespace wirescan::core
