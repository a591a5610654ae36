#pragma once
// Shared pieces of the fuzz targets (fuzz/*_fuzz.cc): the default rule pack, loaded once per
// process, and a check that aborts with a message (libFuzzer and the standalone driver both
// report an abort as a crash, with the input that caused it).
//
// Thread safety: DefaultPack() is initialised once (a function-local static) and immutable;
// the targets themselves run single-threaded.

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "engine/rules/rule_pack.h"

namespace wirescan::fuzz {

// The shipped pack (rules/ of the source tree, or $WIRESCAN_RULES). Aborts if it does not load:
// a target without its pack would fuzz nothing.
inline const rules::RulePack& DefaultPack() {
  static const std::shared_ptr<const rules::RulePack>* pack = [] {
    const char* env = std::getenv("WIRESCAN_RULES");
    std::string dir = env != nullptr && *env != '\0' ? env : WIRESCAN_DEFAULT_RULES_DIR;
    auto loaded = rules::LoadRulePack(dir);
    if (!loaded.ok()) {
      std::fprintf(stderr, "fuzz: cannot load the rule pack %s: %s\n", dir.c_str(),
                   std::string(loaded.status().message()).c_str());
      std::abort();
    }
    return new std::shared_ptr<const rules::RulePack>(*std::move(loaded));
  }();
  return **pack;
}

}  // namespace wirescan::fuzz

// An invariant of the code under test: on failure, print where and what, then abort.
#define WS_FUZZ_CHECK(cond, ...)                                                   \
  do {                                                                             \
    if (!(cond)) {                                                                 \
      std::fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
      std::fprintf(stderr, __VA_ARGS__);                                           \
      std::fprintf(stderr, "\n");                                                  \
      std::abort();                                                                \
    }                                                                              \
  } while (0)
