#pragma once
// ShippedPack(): the repository's rule pack (rules/), compiled once per test binary, for unit
// tests that need a real pack rather than a fake one. Aborts if the shipped pack does not load
// (rules_pack_check reports why).
//
// Thread safety: thread-safe (a function-local static).

#include <cstdlib>
#include <memory>
#include <string>

#include "engine/rules/rule_pack.h"

namespace wirescan::fakes {

inline std::shared_ptr<const rules::RulePack> ShippedPack() {
  static const std::shared_ptr<const rules::RulePack> pack = [] {
    auto p = rules::LoadRulePack(std::string(WIRESCAN_DEFAULT_RULES_DIR), "");
    if (!p.ok()) std::abort();
    return *p;
  }();
  return pack;
}

}  // namespace wirescan::fakes
