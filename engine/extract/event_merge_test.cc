#include "engine/extract/event_merge.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace wirescan::extract {
namespace {

using ::testing::Pair;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

v1::Event Make(std::string type, std::vector<std::pair<std::string, std::string>> attributes,
               uint32_t trigger_begin) {
  v1::Event e;
  e.set_type(std::move(type));
  for (auto& [k, v] : attributes) (*e.mutable_attributes())[k] = v;
  v1::EventEvidence* ev = e.add_evidence();
  ev->set_field("body");
  ev->set_begin(trigger_begin);
  ev->set_end(trigger_begin + 1);
  v1::Mention* m = e.add_mentions();
  m->set_field("body");
  m->set_begin(trigger_begin + 2);
  return e;
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

TEST(MergeEventsTest, MergesIntoTheFirstKeepingEvidenceAndMentions) {
  google::protobuf::RepeatedPtrField<v1::Event> events;
  *events.Add() = Make("investment", {{"company", "A"}, {"amount", "1 USD"}}, 0);
  *events.Add() = Make("investment", {{"company", "B"}, {"amount", "1 USD"}}, 10);
  *events.Add() = Make("investment", {{"company", "A"}, {"place", "X"}}, 20);
  *events.Add() = Make("investment", {{"company", "A"}, {"amount", "2 USD"}}, 30);
  std::vector<std::string> keys(4, "company");
  MergeStats stats = MergeEvents(keys, &events);
  EXPECT_EQ(stats.merged, 1u);
  ASSERT_THAT(events, SizeIs(3));
  EXPECT_THAT(events[0].attributes(), UnorderedElementsAre(Pair("company", "A"), Pair("amount", "1 USD"),
                                                           Pair("place", "X")));
  ASSERT_THAT(events[0].evidence(), SizeIs(2));
  EXPECT_EQ(events[0].evidence(1).begin(), 20u);
  EXPECT_THAT(events[0].mentions(), SizeIs(1));  // inside the first statement's span
  EXPECT_EQ(events[1].attributes().at("company"), "B");  // order kept
  EXPECT_EQ(events[2].attributes().at("amount"), "2 USD");
}

TEST(MergeEventsTest, EvidenceAndMentionsAreBounded) {
  google::protobuf::RepeatedPtrField<v1::Event> events;
  for (uint32_t i = 0; i < 100; ++i) *events.Add() = Make("tariff", {{"rate", "25 %"}}, i * 10);
  MergeStats stats = MergeEvents(std::vector<std::string>(100, "rate"), &events);
  EXPECT_EQ(stats.merged, 99u);
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0].evidence_size(), kMaxEvidence);
  EXPECT_EQ(events[0].mentions_size(), 1);
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
