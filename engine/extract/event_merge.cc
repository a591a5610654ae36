#include "engine/extract/event_merge.h"

#include <deque>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "engine/extract/output.h"

namespace wirescan::extract {

namespace {

// Attribute values agree when equal, or when one is the other stated approximately (a
// figure's canonical "~5000000000 CNY" for 约50亿元 and "5000000000 CNY" for 50亿元).
bool ValuesAgree(std::string_view a, std::string_view b) {
  if (a == b) return true;
  if (!a.empty() && a.front() == '~') a.remove_prefix(1);
  if (!b.empty() && b.front() == '~') b.remove_prefix(1);
  return a == b;
}

}  // namespace

bool EventsAgree(const v1::Event& a, const v1::Event& b) {
  if (a.type() != b.type()) return false;
  bool shared = false;
  auto check = [&](const std::string& role, const std::string& value) {
    const std::string* other = EventValue(b, role);
    if (other == nullptr) return true;
    shared = true;
    return ValuesAgree(*other, value);
  };
  for (const v1::EventSlot& s : a.slots()) {
    if (!check(s.role(), s.canonical())) return false;
  }
  for (const auto& [k, v] : a.attributes()) {
    if (!check(k, v)) return false;
  }
  return shared;
}

namespace {

void Absorb(v1::Event* into, v1::Event* from) {
  // Slots of roles `into` lacks come over with their entity (each entity once per event).
  for (v1::EventSlot& slot : *from->mutable_slots()) {
    if (SlotOf(*into, slot.role()) != nullptr) continue;
    v1::EventSlot* added = into->add_slots();
    added->Swap(&slot);
    if (!added->has_entity()) continue;
    if (added->entity() >= static_cast<uint32_t>(from->entities_size())) {
      added->clear_entity();
      continue;
    }
    const v1::Entity& entity = from->entities(static_cast<int>(added->entity()));
    int index = 0;
    while (index < into->entities_size() &&
           (into->entities(index).rule_id() != entity.rule_id() ||
            into->entities(index).canonical() != entity.canonical())) {
      ++index;
    }
    if (index == into->entities_size()) *into->add_entities() = entity;
    added->set_entity(static_cast<uint32_t>(index));
  }
  auto* attributes = into->mutable_attributes();
  for (const auto& [k, v] : from->attributes()) attributes->try_emplace(k, v);
  for (v1::EventEvidence& ev : *from->mutable_evidence()) {
    if (into->evidence_size() >= kMaxEvidence) break;
    into->add_evidence()->Swap(&ev);
  }
  if (into->primary_entity().empty()) into->set_primary_entity(from->primary_entity());
}

}  // namespace

MergeStats MergeEvents(const std::vector<std::string>& key_attributes,
                       google::protobuf::RepeatedPtrField<v1::Event>* events) {
  MergeStats stats;
  const int n = events->size();
  if (n < 2) return stats;
  // (type, key value) -> indices of kept events, the most recent kMaxMergeCandidates.
  absl::flat_hash_map<std::pair<std::string, std::string>, std::deque<int>> buckets;
  std::vector<bool> keep(n, true);
  for (int i = 0; i < n; ++i) {
    v1::Event* e = events->Mutable(i);
    std::string key;
    if (!key_attributes[i].empty()) {
      if (const std::string* value = EventValue(*e, key_attributes[i])) {
        key = *value;
        if (!key.empty() && key.front() == '~') key.erase(0, 1);  // agrees with the exact value
      }
    }
    std::deque<int>& bucket = buckets[{e->type(), std::move(key)}];
    int into = -1;
    for (int j : bucket) {
      ++stats.comparisons;
      if (EventsAgree(events->Get(j), *e)) {
        into = j;
        break;
      }
    }
    if (into >= 0) {
      Absorb(events->Mutable(into), e);
      keep[i] = false;
      ++stats.merged;
      continue;
    }
    bucket.push_back(i);
    if (bucket.size() > kMaxMergeCandidates) bucket.pop_front();
  }
  if (stats.merged == 0) return stats;
  int w = 0;
  for (int i = 0; i < n; ++i) {
    if (!keep[i]) continue;
    if (w != i) events->SwapElements(w, i);
    ++w;
  }
  events->DeleteSubrange(w, n - w);
  return stats;
}

}  // namespace wirescan::extract
