#pragma once
// MergeEvents: one event per real-world event per article. Events of one type whose values
// agree (a value is a slot's canonical value or an attribute read from the trigger, by role:
// every role both have has one value, and at least one is shared) become one: the first keeps
// its id, span, slots and attributes, gains the slots (with their entities) and attributes of
// roles it lacked, appended, and the others' evidence (triggers). Linear work: events are
// bucketed by type and the value of the
// rule's key slot (EventInfo::key_slot), and each is compared with at most kMaxMergeCandidates
// events of its bucket (the most recent ones kept), so the work is bounded by
// kMaxMergeCandidates per event whatever the article.
//
// Thread safety: a pure function of its arguments.

#include <cstddef>
#include <string>
#include <vector>

#include "google/protobuf/repeated_ptr_field.h"
#include "wirescan/v1/analysis.pb.h"

namespace wirescan::extract {

inline constexpr size_t kMaxMergeCandidates = 8;  // compared per event, per bucket
inline constexpr int kMaxEvidence = 16;           // evidence entries kept per event

struct MergeStats {
  size_t comparisons = 0;  // event-to-event agreement checks (the work counter)
  size_t merged = 0;       // events folded into another
};

// `key_attributes[i]`: the role events[i] is bucketed by (its rule's key slot; empty:
// its type alone). REQUIRES: key_attributes.size() == events->size().
MergeStats MergeEvents(const std::vector<std::string>& key_attributes,
                       google::protobuf::RepeatedPtrField<v1::Event>* events);

// Whether two events state the same thing: same type, no role with two values, at least one
// role in common. A value and the same value stated approximately ("~" + value) agree.
bool EventsAgree(const v1::Event& a, const v1::Event& b);

}  // namespace wirescan::extract
