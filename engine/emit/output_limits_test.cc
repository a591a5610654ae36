#include "engine/emit/output_limits.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "engine/emit/kafka_sink.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace wirescan::emit {
namespace {

using ::testing::HasSubstr;

SizeSettings Defaults() {
  SizeSettings s;
  s.max_record_bytes = 4 << 20;
  s.output_topics = {"wirescan.analysis", "wirescan.dlq", "wirescan.events.investment"};
  return s;
}

// --- PlanOutputSizes: the failing cases first ------------------------------------------------

TEST(PlanOutputSizesTest, ExplicitProducerLimitAboveATopicLimitIsAContradiction) {
  SizeSettings s = Defaults();
  s.producer_max_bytes = 2000000;
  s.topic_max_bytes = {{"wirescan.dlq", 1048588}, {"wirescan.analysis", 8388608}};
  auto plan = PlanOutputSizes(s);
  ASSERT_FALSE(plan.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(plan.status()));
  // Names the property, the topic, its limit and both ways out.
  EXPECT_THAT(plan.status().message(), HasSubstr("message.max.bytes 2000000"));
  EXPECT_THAT(plan.status().message(), HasSubstr("wirescan.dlq"));
  EXPECT_THAT(plan.status().message(), HasSubstr("1048588"));
  EXPECT_THAT(plan.status().message(), HasSubstr("at most 1032204"));
}

TEST(PlanOutputSizesTest, TopicsWithoutAKnownLimitCountAsKafkasDefault) {
  SizeSettings s = Defaults();
  s.producer_max_bytes = 1048588;  // what the broker accepts, but no room for batch framing
  EXPECT_TRUE(absl::IsFailedPrecondition(PlanOutputSizes(s).status()));
}

TEST(PlanOutputSizesTest, ExplicitBatchSizeAboveATopicLimitIsAContradiction) {
  SizeSettings s = Defaults();
  s.producer_batch_size = 4000000;
  auto plan = PlanOutputSizes(s);
  ASSERT_FALSE(plan.ok());
  EXPECT_THAT(plan.status().message(), HasSubstr("batch.size 4000000"));
}

TEST(PlanOutputSizesTest, AnOutputLimitTooSmallForDeadLettersIsRefused) {
  SizeSettings s = Defaults();
  s.topic_max_bytes = {{"wirescan.events.investment", 50000}};
  auto plan = PlanOutputSizes(s);
  ASSERT_FALSE(plan.ok());
  EXPECT_THAT(plan.status().message(), HasSubstr("at least 65536"));
  EXPECT_THAT(plan.status().message(), HasSubstr("wirescan.events.investment"));
  s = Defaults();
  s.producer_max_bytes = 10000;
  EXPECT_TRUE(absl::IsFailedPrecondition(PlanOutputSizes(s).status()));
}

TEST(PlanOutputSizesTest, AnInputLimitTheConsumerCannotFetchIsAContradiction) {
  SizeSettings s = Defaults();
  s.consumer_receive_max_bytes = 1000000;
  auto plan = PlanOutputSizes(s);
  ASSERT_FALSE(plan.ok());
  EXPECT_THAT(plan.status().message(), HasSubstr("input.max_record_bytes 4194304"));
  EXPECT_THAT(plan.status().message(), HasSubstr("receive.message.max.bytes"));
}

TEST(PlanOutputSizesTest, DefaultsAreCoherent) {
  SizeSettings s = Defaults();
  auto plan = PlanOutputSizes(s);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->max_bytes, kDefaultProducerMaxBytes);
  EXPECT_EQ(plan->batch_size, kDefaultProducerMaxBytes);
  EXPECT_EQ(plan->smallest_topic_bytes, kDefaultTopicMaxBytes);
  // Also with the limits the broker reports by default.
  for (const auto& t : s.output_topics) s.topic_max_bytes[t] = kDefaultTopicMaxBytes;
  plan = PlanOutputSizes(s);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->max_bytes, kDefaultProducerMaxBytes);
}

TEST(PlanOutputSizesTest, UnsetProducerLimitsAreLoweredToTheSmallestTopic) {
  SizeSettings s = Defaults();
  s.topic_max_bytes = {{"wirescan.dlq", 500000}, {"wirescan.analysis", 8388608}};
  auto plan = PlanOutputSizes(s);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->max_bytes, 500000 - kTopicMargin);
  EXPECT_EQ(plan->batch_size, 500000 - kTopicMargin);
  EXPECT_EQ(plan->smallest_topic, "wirescan.dlq");
  // Explicit values within the limits are kept.
  s.producer_max_bytes = 300000;
  s.producer_batch_size = 200000;
  plan = PlanOutputSizes(s);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->max_bytes, 300000u);
  EXPECT_EQ(plan->batch_size, 200000u);
}

// --- RecordSize against librdkafka's own check -----------------------------------------------

class NoListener : public DeliveryListener {
 public:
  void OnDelivery(void*, Delivery, std::string_view, std::string_view) override {}
};

TEST(RecordSizeTest, WhatFitsByRecordSizeTheProducerAccepts) {
  NoListener none;
  constexpr size_t kLimit = 100000;
  // No broker: producev checks message.max.bytes before anything is sent.
  auto sink = KafkaSink::Create({{"bootstrap.servers", "127.0.0.1:1"},
                                 {"message.max.bytes", absl::StrCat(kLimit)},
                                 {"message.timeout.ms", "1000"},
                                 {"log_level", "0"}},
                                &none);
  ASSERT_TRUE(sink.ok()) << sink.status();
  EXPECT_EQ((*sink)->max_message_bytes(), kLimit);
  const Header headers[] = {{"wirescan-source-topic", "news"}, {"wirescan-source-offset", "42"}};
  const std::string key = "article-1";
  const size_t fixed = RecordSize(key, "", headers);
  const std::string fits(kLimit - fixed, 'x');
  ASSERT_EQ(RecordSize(key, fits, headers), kLimit);
  EXPECT_TRUE((*sink)->Produce({"t", -1, key, fits, headers, nullptr}).ok());
  // Our framing is an upper bound of librdkafka's, and not by much: a few bytes more are
  // refused (OutOfRange: too large for the producer).
  size_t extra = 1;
  absl::Status s;
  for (; extra <= kRecordOverhead; ++extra) {
    const std::string over(fits.size() + extra, 'x');
    s = (*sink)->Produce({"t", -1, key, over, headers, nullptr});
    if (!s.ok()) break;
  }
  EXPECT_TRUE(absl::IsOutOfRange(s)) << s;
  EXPECT_LE(extra, kRecordOverhead) << "librdkafka accepted all of RecordSize + " << extra;
  (*sink)->Abort();
}

// --- FitDeadLetter -------------------------------------------------------------------------

TEST(FitDeadLetterTest, ALargeInputKeepsAPrefixAndItsKey) {
  const Header headers[] = {{"wirescan-source-topic", "news"},
                            {"wirescan-dlq-reason", "not_json"},
                            {"wirescan-dlq-message", "not JSON: TAPE_ERROR"}};
  const std::string input(1040000, 'q');
  std::string_view key = "k-17", value = input;
  bool truncated = false;
  FitDeadLetter(1000000, headers, &key, &value, &truncated);
  EXPECT_TRUE(truncated);
  EXPECT_EQ(key, "k-17");
  EXPECT_EQ(value.data(), input.data()) << "a prefix of the input";
  EXPECT_LE(RecordSize(key, value, headers) + kDeadLetterHeaderReserve, 1000000u);
  EXPECT_GT(value.size(), 990000u);
}

TEST(FitDeadLetterTest, AHugeKeyIsCutToo) {
  const Header headers[] = {{"wirescan-dlq-reason", "too_large"}};
  const std::string big_key(2000000, 'k'), input(3000000, 'v');
  std::string_view key = big_key, value = input;
  bool truncated = false;
  FitDeadLetter(1000000, headers, &key, &value, &truncated);
  EXPECT_TRUE(truncated);
  EXPECT_LT(key.size(), 500000u);
  EXPECT_GT(value.size(), 400000u);
  EXPECT_LE(RecordSize(key, value, headers) + kDeadLetterHeaderReserve, 1000000u);
}

TEST(FitDeadLetterTest, WhatFitsStaysWhole) {
  const Header headers[] = {{"wirescan-dlq-reason", "not_json"}};
  const std::string input(999000, 'q');
  std::string_view key = "k", value = input;
  bool truncated = true;
  FitDeadLetter(1000000, headers, &key, &value, &truncated);
  EXPECT_FALSE(truncated);
  EXPECT_EQ(value.size(), input.size());
}

// --- FitAnalysis ---------------------------------------------------------------------------

v1::ArticleAnalysis BigAnalysis(int mentions, int events) {
  v1::ArticleAnalysis a;
  a.mutable_article()->set_id("big-1");
  a.mutable_article()->set_title("JCET invests");
  a.set_rules_version("928e67ba509a0a3c");
  for (int i = 0; i < mentions; ++i) {
    v1::Mention* m = a.add_mentions();
    m->set_text("JCET Group");
    m->set_entity(0);
    m->set_begin(static_cast<uint32_t>(i * 20));
    m->set_end(static_cast<uint32_t>(i * 20 + 10));
  }
  v1::Entity* jcet = a.add_entities();
  jcet->set_type("ORG");
  jcet->set_canonical("JCET Group");
  jcet->set_rule_id("org.jcet");
  for (int i = 0; i < events; ++i) {
    v1::Event* e = a.add_events();
    e->set_id(absl::StrCat("event-", i));
    e->set_type("investment");
    e->set_article_id("big-1");
    v1::EventSlot* slot = e->add_slots();
    slot->set_role("company");
    slot->set_canonical(std::string(200, 'c'));
  }
  return a;
}

TEST(FitAnalysisTest, TooManyMentionsAreCutFromTheEndWithADiagnostic) {
  const v1::ArticleAnalysis a = BigAnalysis(60000, 10);
  std::string bytes = a.SerializeAsString();
  ASSERT_GT(bytes.size(), 1000000u);
  v1::ArticleAnalysis scratch;
  EXPECT_EQ(FitAnalysis(a, 500000, &bytes, &scratch), AnalysisFit::kCut);
  EXPECT_LE(bytes.size(), 500000u);
  EXPECT_GT(bytes.size(), 490000u) << "no more is cut than needed";
  v1::ArticleAnalysis cut;
  ASSERT_TRUE(cut.ParseFromString(bytes));
  ASSERT_GT(cut.mentions_size(), 0);
  ASSERT_LT(cut.mentions_size(), a.mentions_size());
  for (int i = 0; i < cut.mentions_size(); ++i) {
    ASSERT_EQ(cut.mentions(i).begin(), a.mentions(i).begin()) << "the first mentions are kept";
  }
  EXPECT_EQ(cut.events_size(), 10);
  EXPECT_EQ(cut.article().id(), "big-1");
  ASSERT_EQ(cut.diagnostics_size(), 1);
  EXPECT_EQ(cut.diagnostics(0).code(), v1::Diagnostic::CODE_OUTPUT_CUT);
  EXPECT_THAT(cut.diagnostics(0).message(),
              HasSubstr(absl::StrCat("kept the first ", cut.mentions_size(), " of 60000 mentions "
                                     "and 10 of 10 events")));
}

TEST(FitAnalysisTest, EventsGoWhenMentionsAreNotEnough) {
  const v1::ArticleAnalysis a = BigAnalysis(10, 5000);
  std::string bytes = a.SerializeAsString();
  v1::ArticleAnalysis scratch;
  EXPECT_EQ(FitAnalysis(a, 300000, &bytes, &scratch), AnalysisFit::kCut);
  v1::ArticleAnalysis cut;
  ASSERT_TRUE(cut.ParseFromString(bytes));
  EXPECT_LE(bytes.size(), 300000u);
  EXPECT_EQ(cut.mentions_size(), 0);
  EXPECT_GT(cut.events_size(), 0);
  EXPECT_LT(cut.events_size(), 5000);
}

TEST(FitAnalysisTest, AnArticleLargerThanTheLimitCannotBeCut) {
  v1::ArticleAnalysis a = BigAnalysis(100, 1);
  a.mutable_article()->set_body(std::string(2000000, 'b'));  // include_text
  std::string bytes = a.SerializeAsString();
  v1::ArticleAnalysis scratch;
  EXPECT_EQ(FitAnalysis(a, 1000000, &bytes, &scratch), AnalysisFit::kTooLarge);
}

TEST(FitAnalysisTest, WhatFitsIsLeftAlone) {
  const v1::ArticleAnalysis a = BigAnalysis(100, 2);
  std::string bytes = a.SerializeAsString();
  const std::string before = bytes;
  v1::ArticleAnalysis scratch;
  EXPECT_EQ(FitAnalysis(a, bytes.size(), &bytes, &scratch), AnalysisFit::kWhole);
  EXPECT_EQ(bytes, before);
}

}  // namespace
}  // namespace wirescan::emit
