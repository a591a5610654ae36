#pragma once
// Readers of the output schema (proto/wirescan/v1/analysis.proto) inside the project. A mention
// of an entity holds only its span and the entity's index; these give every mention's type,
// canonical name, rule id and attributes alike, and an event's value of a role (a slot's
// canonical value, or a value read from the trigger).
//
// Thread safety: stateless functions; the messages are borrowed for the call (returned views
// point into them).

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "google/protobuf/map.h"
#include "wirescan/v1/analysis.pb.h"

namespace wirescan::extract {

using Attributes = google::protobuf::Map<std::string, std::string>;

// "title" or "body".
std::string_view FieldName(v1::Field field);
// kTitle for "title", else kBody.
v1::Field FieldOf(std::string_view name);

// The entity `m` names, or null (a figure, a date, a pattern, or an index out of range).
const v1::Entity* EntityOf(const v1::ArticleAnalysis& analysis, const v1::Mention& m);
// The entity's type, else the mention's own ("MONEY", "DATE", ...).
std::string_view MentionType(const v1::ArticleAnalysis& analysis, const v1::Mention& m);
// The entity's canonical name, else the mention's normalised form.
std::string_view MentionCanonical(const v1::ArticleAnalysis& analysis, const v1::Mention& m);
// The rule that matched: the mention's own rule id if set, else its entity's.
std::string_view MentionRuleId(const v1::ArticleAnalysis& analysis, const v1::Mention& m);
// The entity's attributes, else an empty map.
const Attributes& MentionAttributes(const v1::ArticleAnalysis& analysis, const v1::Mention& m);

// The slot of `role`, or null.
const v1::EventSlot* SlotOf(const v1::Event& e, std::string_view role);
// The value of `role`: the slot's canonical value, else the attribute read from the trigger;
// null if neither.
const std::string* EventValue(const v1::Event& e, std::string_view role);
// Every role -> value of the event (slots, then trigger attributes), sorted by role.
std::vector<std::pair<std::string, std::string>> EventValues(const v1::Event& e);

}  // namespace wirescan::extract
