#include "engine/extract/event_merge.h"

#include <deque>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_map.h"

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
  const auto& small = a.attributes().size() <= b.attributes().size() ? a.attributes() : b.attributes();
  const auto& large = &small == &a.attributes() ? b.attributes() : a.attributes();
  bool shared = false;
  for (const auto& [k, v] : small) {
    auto it = large.find(k);
    if (it == large.end()) continue;
    if (!ValuesAgree(it->second, v)) return false;
    shared = true;
  }
  return shared;
}

namespace {

void Absorb(v1::Event* into, v1::Event* from) {
  auto* attributes = into->mutable_attributes();
  for (const auto& [k, v] : from->attributes()) attributes->try_emplace(k, v);
  // Mentions stay those of the first statement (an event's mentions lie inside its span); the
  // others' triggers are kept as evidence.
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
      auto it = e->attributes().find(key_attributes[i]);
      if (it != e->attributes().end()) {
        key = it->second;
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
