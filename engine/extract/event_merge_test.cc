#include "engine/extract/event_merge.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/extract/output.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace wirescan::extract {
namespace {

using ::testing::Pair;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

// An event of `type` with one slot per (role, value), each naming an entity of that
// canonical name ("company") or not; and one trigger attribute, "metric", when given.
v1::Event Make(std::string type, std::vector<std::pair<std::string, std::string>> slots,
               uint32_t trigger_begin, std::string metric = "") {
  v1::Event e;
  e.set_type(std::move(type));
  uint32_t at = trigger_begin + 2;
  for (auto& [role, value] : slots) {
    v1::EventSlot* s = e.add_slots();
    s->set_role(role);
    s->set_canonical(value);
    s->set_begin(at++);
    if (role == "company") {
      v1::Entity* entity = e.add_entities();
      entity->set_rule_id("org." + value);
      entity->set_canonical(value);
      s->set_entity(static_cast<uint32_t>(e.entities_size() - 1));
    }
  }
  if (!metric.empty()) (*e.mutable_attributes())["metric"] = metric;
  v1::EventEvidence* ev = e.add_evidence();
  ev->set_begin(trigger_begin);
  ev->set_end(trigger_begin + 1);
  return e;
}

std::vector<std::pair<std::string, std::string>> Values(const v1::Event& e) {
  return EventValues(e);
}

TEST(EventsAgreeTest, SharedAttributesMustBeEqual) {
  v1::Event a = Make("investment", {{"company", "A"}, {"amount", "1 USD"}}, 0);
  v1::Event subset = Make("investment", {{"company", "A"}}, 5);
  v1::Event more = Make("investment", {{"company", "A"}, {"place", "X"}}, 9);
  v1::Event other = Make("investment", {{"company", "A"}, {"amount", "2 USD"}}, 12);
  v1::Event disjoint = Make("investment", {{"place", "X"}}, 15);
  v1::Event type = Make("capacity", {{"company", "A"}}, 18);
  EXPECT_TRUE(EventsAgree(a, subset));
  EXPECT_TRUE(EventsAgree(subset, a));
  EXPECT_TRUE(EventsAgree(a, more));
  EXPECT_FALSE(EventsAgree(a, other));
  EXPECT_FALSE(EventsAgree(a, disjoint));  // nothing in common
  EXPECT_FALSE(EventsAgree(subset, type));
}

TEST(EventsAgreeTest, TriggerAttributesAreValuesToo) {
  v1::Event revenue = Make("earnings", {{"company", "A"}}, 0, "revenue");
  v1::Event profit = Make("earnings", {{"company", "A"}}, 5, "net income");
  v1::Event plain = Make("earnings", {{"company", "A"}}, 9);
  EXPECT_FALSE(EventsAgree(revenue, profit));
  EXPECT_TRUE(EventsAgree(revenue, plain));
  EXPECT_TRUE(EventsAgree(plain, revenue));
}

TEST(EventsAgreeTest, AnApproximateValueAgreesWithTheExactOne) {
  v1::Event exact = Make("funding", {{"company", "A"}, {"amount", "5000000000 CNY"}}, 0);
  v1::Event about = Make("funding", {{"company", "A"}, {"amount", "~5000000000 CNY"}}, 5);
  v1::Event other = Make("funding", {{"company", "A"}, {"amount", "~6000000000 CNY"}}, 9);
  v1::Event at_least = Make("funding", {{"company", "A"}, {"amount", ">=5000000000 CNY"}}, 12);
  EXPECT_TRUE(EventsAgree(exact, about));
  EXPECT_TRUE(EventsAgree(about, exact));
  EXPECT_FALSE(EventsAgree(about, other));
  EXPECT_FALSE(EventsAgree(exact, at_least));  // a bound is not the value
}

TEST(MergeEventsTest, MergesIntoTheFirstKeepingEvidenceAndSlots) {
  google::protobuf::RepeatedPtrField<v1::Event> events;
  *events.Add() = Make("investment", {{"company", "A"}, {"amount", "1 USD"}}, 0);
  *events.Add() = Make("investment", {{"company", "B"}, {"amount", "1 USD"}}, 10);
  *events.Add() = Make("investment", {{"company", "A"}, {"place", "X"}}, 20);
  *events.Add() = Make("investment", {{"company", "A"}, {"amount", "2 USD"}}, 30);
  std::vector<std::string> keys(4, "company");
  MergeStats stats = MergeEvents(keys, &events);
  EXPECT_EQ(stats.merged, 1u);
  ASSERT_THAT(events, SizeIs(3));
  EXPECT_THAT(Values(events[0]), UnorderedElementsAre(Pair("company", "A"), Pair("amount", "1 USD"),
                                                      Pair("place", "X")));
  // The first statement's slots, then the role it lacked, from the merged one.
  ASSERT_THAT(events[0].slots(), SizeIs(3));
  EXPECT_EQ(events[0].slots(2).role(), "place");
  EXPECT_EQ(events[0].slots(2).begin(), 23u);
  ASSERT_THAT(events[0].entities(), SizeIs(1));  // A once
  ASSERT_THAT(events[0].evidence(), SizeIs(2));
  EXPECT_EQ(events[0].evidence(1).begin(), 20u);
  EXPECT_EQ(*EventValue(events[1], "company"), "B");  // order kept
  EXPECT_EQ(*EventValue(events[2], "amount"), "2 USD");
}

TEST(MergeEventsTest, AMergedSlotBringsItsEntity) {
  google::protobuf::RepeatedPtrField<v1::Event> events;
  *events.Add() = Make("acquisition", {{"amount", "1 USD"}}, 0);
  *events.Add() = Make("acquisition", {{"amount", "1 USD"}, {"company", "B"}}, 10);
  MergeEvents(std::vector<std::string>(2, "amount"), &events);
  ASSERT_THAT(events, SizeIs(1));
  ASSERT_THAT(events[0].slots(), SizeIs(2));
  ASSERT_TRUE(events[0].slots(1).has_entity());
  ASSERT_THAT(events[0].entities(), SizeIs(1));
  EXPECT_EQ(events[0].entities(static_cast<int>(events[0].slots(1).entity())).rule_id(), "org.B");
}

TEST(MergeEventsTest, EvidenceAndSlotsAreBounded) {
  google::protobuf::RepeatedPtrField<v1::Event> events;
  for (uint32_t i = 0; i < 100; ++i) *events.Add() = Make("tariff", {{"rate", "25 %"}}, i * 10);
  MergeStats stats = MergeEvents(std::vector<std::string>(100, "rate"), &events);
  EXPECT_EQ(stats.merged, 99u);
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0].evidence_size(), kMaxEvidence);
  EXPECT_EQ(events[0].slots_size(), 1);
}

// Worst case for the work: many events of one type and one key value, none agreeing (a table
// of figures for one company). Each is compared with at most kMaxMergeCandidates others.
TEST(MergeEventsTest, WorkIsLinearOnAWorstCase) {
  for (int n : {100, 10000}) {
    google::protobuf::RepeatedPtrField<v1::Event> events;
    for (int i = 0; i < n; ++i) {
      *events.Add() = Make("earnings", {{"company", "A"}, {"value", absl::StrCat(i, " USD")}},
                           static_cast<uint32_t>(i));
    }
    MergeStats stats = MergeEvents(std::vector<std::string>(n, "company"), &events);
    EXPECT_EQ(stats.merged, 0u);
    EXPECT_EQ(events.size(), n);
    EXPECT_LE(stats.comparisons, kMaxMergeCandidates * static_cast<size_t>(n)) << n;
    EXPECT_GT(stats.comparisons, static_cast<size_t>(n));  // the bound is what is measured
  }
}

}  // namespace
}  // namespace wirescan::extract
