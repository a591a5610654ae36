#include "engine/extract/output.h"

#include <algorithm>

namespace wirescan::extract {

std::string_view FieldName(v1::Field field) { return field == v1::FIELD_TITLE ? "title" : "body"; }

v1::Field FieldOf(std::string_view name) {
  return name == "title" ? v1::FIELD_TITLE : v1::FIELD_BODY;
}

const v1::Entity* EntityOf(const v1::ArticleAnalysis& analysis, const v1::Mention& m) {
  if (!m.has_entity() || m.entity() >= static_cast<uint32_t>(analysis.entities_size())) {
    return nullptr;
  }
  return &analysis.entities(static_cast<int>(m.entity()));
}

std::string_view MentionType(const v1::ArticleAnalysis& analysis, const v1::Mention& m) {
  const v1::Entity* e = EntityOf(analysis, m);
  return e != nullptr ? std::string_view(e->type()) : std::string_view(m.type());
}

std::string_view MentionCanonical(const v1::ArticleAnalysis& analysis, const v1::Mention& m) {
  const v1::Entity* e = EntityOf(analysis, m);
  return e != nullptr ? std::string_view(e->canonical()) : std::string_view(m.canonical());
}

std::string_view MentionRuleId(const v1::ArticleAnalysis& analysis, const v1::Mention& m) {
  if (!m.rule_id().empty()) return m.rule_id();
  const v1::Entity* e = EntityOf(analysis, m);
  return e != nullptr ? std::string_view(e->rule_id()) : std::string_view();
}

const Attributes& MentionAttributes(const v1::ArticleAnalysis& analysis, const v1::Mention& m) {
  static const Attributes* const kEmpty = new Attributes();
  const v1::Entity* e = EntityOf(analysis, m);
  return e != nullptr ? e->attributes() : *kEmpty;
}

const v1::EventSlot* SlotOf(const v1::Event& e, std::string_view role) {
  for (const v1::EventSlot& s : e.slots()) {
    if (s.role() == role) return &s;
  }
  return nullptr;
}

const std::string* EventValue(const v1::Event& e, std::string_view role) {
  if (const v1::EventSlot* s = SlotOf(e, role)) return &s->canonical();
  if (e.attributes().empty()) return nullptr;
  auto it = e.attributes().find(std::string(role));
  return it == e.attributes().end() ? nullptr : &it->second;
}

std::vector<std::pair<std::string, std::string>> EventValues(const v1::Event& e) {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(static_cast<size_t>(e.slots_size()) + e.attributes().size());
  for (const v1::EventSlot& s : e.slots()) out.emplace_back(s.role(), s.canonical());
  for (const auto& [k, v] : e.attributes()) out.emplace_back(k, v);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace wirescan::extract
