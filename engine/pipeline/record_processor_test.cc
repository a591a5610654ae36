#include "engine/pipeline/record_processor.h"

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "engine/emit/output_writer.h"
#include "gtest/gtest.h"
#include "tests/fakes/shipped_pack.h"

namespace wirescan::pipeline {
namespace {

std::shared_ptr<const rules::RulePack> Pack() { return fakes::ShippedPack(); }

// The first sample article: an investment with figures, so it has events.
std::string SampleArticle() {
  std::ifstream in(std::string(WIRESCAN_DEFAULT_RULES_DIR) + "/../deploy/samples/articles.ndjson");
  std::string line;
  std::getline(in, line);
  return line;
}

std::map<std::string, std::string> HeadersOf(const emit::OutputMessage& m) {
  std::map<std::string, std::string> h;
  for (const emit::Header& x : m.headers) h[std::string(x.key)] = std::string(x.value);
  return h;
}

InputRecord Record(std::string_view value, std::string_view key = "k1") {
  return {"news", 5, 42, key, value};
}

TEST(RecordProcessorTest, NotJsonIsOneDeadLetterWithTheInputUnchanged) {
  ProcessorOptions options;
  RecordProcessor p(&options, Pack());
  ASSERT_EQ(p.Process(Record("{not json"), nullptr), Outcome::kDeadLetter);
  EXPECT_EQ(p.reason(), "not_json");
  ASSERT_EQ(p.outputs().size(), 1u);
  const emit::OutputMessage& m = p.outputs()[0];
  EXPECT_EQ(m.topic, "wirescan.dlq");
  EXPECT_EQ(m.key, "k1");
  EXPECT_EQ(m.value, "{not json");
  auto h = HeadersOf(m);
  EXPECT_EQ(h["wirescan-source-topic"], "news");
  EXPECT_EQ(h["wirescan-source-partition"], "5");
  EXPECT_EQ(h["wirescan-source-offset"], "42");
  EXPECT_EQ(h["wirescan-rules-version"], Pack()->version);
  EXPECT_EQ(h["wirescan-dlq-reason"], "not_json");
  EXPECT_FALSE(h["wirescan-dlq-message"].empty());
}

TEST(RecordProcessorTest, EmptyPlainTextIsADeadLetterEmptyBody) {
  ProcessorOptions options;
  options.plain_text = true;
  RecordProcessor p(&options, Pack());
  ASSERT_EQ(p.Process(Record("  \n"), nullptr), Outcome::kDeadLetter);
  EXPECT_EQ(p.reason(), "empty_body");
}

TEST(RecordProcessorTest, AnalysisThenEventsEachSerialisedOnce) {
  ProcessorOptions options;
  options.analysis_partitions = 2;
  RecordProcessor p(&options, Pack());
  const std::string article = SampleArticle();
  ASSERT_EQ(p.Process(Record(article), nullptr), Outcome::kAnalysed);
  const v1::ArticleAnalysis& analysis = *p.analysis();
  ASSERT_GT(analysis.events_size(), 0);
  ASSERT_EQ(p.outputs().size(), static_cast<size_t>(analysis.events_size()) + 1);
  EXPECT_FALSE(p.cut());

  const emit::OutputMessage& a = p.outputs()[0];
  EXPECT_EQ(a.topic, "wirescan.analysis");
  EXPECT_EQ(a.partition, 1);  // 5 mod 2
  EXPECT_EQ(a.key, "sample-en-1");
  std::string expected;
  ASSERT_TRUE(emit::AppendDeterministic(analysis, &expected));
  EXPECT_EQ(a.value, expected);
  EXPECT_EQ(HeadersOf(a)["content-type"],
            "application/x-protobuf; messageType=wirescan.v1.ArticleAnalysis");

  for (int i = 0; i < analysis.events_size(); ++i) {
    const v1::Event& e = analysis.events(i);
    const emit::OutputMessage& m = p.outputs()[i + 1];
    EXPECT_EQ(m.topic, EventTopic(options, e.type(), e.topic()));
    EXPECT_EQ(m.partition, -1);
    EXPECT_EQ(m.key, e.primary_entity().empty() ? e.article_id() : e.primary_entity());
    // The bytes inside the analysis: the same as the event encoded on its own.
    std::string own;
    ASSERT_TRUE(emit::AppendDeterministic(e, &own));
    EXPECT_EQ(m.value, own) << "event " << i;
    EXPECT_GE(m.value.data(), a.value.data());  // a slice of the analysis, not a copy
    EXPECT_LE(m.value.data() + m.value.size(), a.value.data() + a.value.size());
    auto h = HeadersOf(m);
    EXPECT_EQ(h["content-type"], "application/x-protobuf; messageType=wirescan.v1.Event");
    EXPECT_EQ(h["wirescan-source-offset"], "42");
  }
}

TEST(RecordProcessorTest, ConfluentAndJsonTopicsGetTheirOwnEncoding) {
  emit::OutputEncodings encodings(emit::WireFormat::kConfluentProtobuf,
                                  {{"wirescan.analysis", emit::WireFormat::kJson}});
  ProcessorOptions options;
  options.encodings = &encodings;
  RecordProcessor p(&options, Pack());
  const std::string article = SampleArticle();
  // No schema id registered for the event topics: the record cannot be encoded.
  ASSERT_EQ(p.Process(Record(article), nullptr), Outcome::kFailed);
  EXPECT_TRUE(p.outputs().empty());
  EXPECT_NE(p.detail().find("no schema id"), std::string::npos);

  for (const auto& ev : Pack()->model->events) {
    encodings.SetSchemaId(EventTopic(options, ev.type, ev.topic), 7);
  }
  RecordProcessor q(&options, Pack());
  ASSERT_EQ(q.Process(Record(article), nullptr), Outcome::kAnalysed);
  emit::OutputEncoder reference(&encodings);
  std::string want;
  std::string_view type;
  ASSERT_TRUE(reference.Encode("wirescan.analysis", *q.analysis(), &want, &type).ok());
  EXPECT_EQ(q.outputs()[0].value, want);
  EXPECT_EQ(HeadersOf(q.outputs()[0])["content-type"], "application/json");
  for (int i = 0; i < q.analysis()->events_size(); ++i) {
    const emit::OutputMessage& m = q.outputs()[i + 1];
    ASSERT_TRUE(reference.Encode(m.topic, q.analysis()->events(i), &want, &type).ok());
    EXPECT_EQ(m.value, want);
    EXPECT_EQ(HeadersOf(m)["content-type"], type);
  }

  // Protobuf analysis, Confluent events: the events are the analysis's bytes, framed.
  emit::OutputEncodings framed(emit::WireFormat::kConfluentProtobuf,
                               {{"wirescan.analysis", emit::WireFormat::kProtobuf}});
  for (const auto& ev : Pack()->model->events) {
    framed.SetSchemaId(EventTopic(options, ev.type, ev.topic), 9);
  }
  options.encodings = &framed;
  RecordProcessor r(&options, Pack());
  ASSERT_EQ(r.Process(Record(article), nullptr), Outcome::kAnalysed);
  emit::OutputEncoder framed_reference(&framed);
  for (int i = 0; i < r.analysis()->events_size(); ++i) {
    const emit::OutputMessage& m = r.outputs()[i + 1];
    ASSERT_TRUE(framed_reference.Encode(m.topic, r.analysis()->events(i), &want, &type).ok());
    EXPECT_EQ(m.value, want);
    EXPECT_EQ(m.value.substr(0, 5), emit::ConfluentHeader(9).substr(0, 5));
  }
}

TEST(RecordProcessorTest, NoAnalysisTopicGivesOnlyEvents) {
  ProcessorOptions options;
  options.analysis_topic = "-";
  RecordProcessor p(&options, Pack());
  ASSERT_EQ(p.Process(Record(SampleArticle()), nullptr), Outcome::kAnalysed);
  ASSERT_EQ(p.outputs().size(), static_cast<size_t>(p.events()));
  for (int i = 0; i < p.events(); ++i) {
    std::string own;
    ASSERT_TRUE(emit::AppendDeterministic(p.analysis()->events(i), &own));
    EXPECT_EQ(p.outputs()[i].value, own);
  }
}

TEST(RecordProcessorTest, AnArticleWithoutIdIsKeyedByTheInputKeyOrItsPosition) {
  ProcessorOptions options;
  RecordProcessor p(&options, Pack());
  const std::string article = R"({"title": "Quiet day", "body": "Nothing happened."})";
  ASSERT_EQ(p.Process(Record(article, "the-key"), nullptr), Outcome::kAnalysed);
  EXPECT_EQ(p.outputs()[0].key, "the-key");
  ASSERT_EQ(p.Process(Record(article, ""), nullptr), Outcome::kAnalysed);
  EXPECT_EQ(p.outputs()[0].key, "news-5-42");
}

TEST(RecordProcessorTest, AnalysisOverTheLimitIsCutOrTheInputDeadLettered) {
  ProcessorOptions options;
  RecordProcessor full(&options, Pack());
  const std::string article = SampleArticle();
  ASSERT_EQ(full.Process(Record(article), nullptr), Outcome::kAnalysed);
  const size_t whole = full.outputs()[0].value.size();
  size_t largest_event = 0;
  for (size_t i = 1; i < full.outputs().size(); ++i) {
    largest_event = std::max(largest_event, emit::RecordSize(full.outputs()[i].key,
                                                             full.outputs()[i].value,
                                                             full.outputs()[i].headers));
  }

  // Room for every event but not for the whole analysis: the analysis is cut.
  options.max_message_bytes = std::max(largest_event, whole / 2 + 400);
  ASSERT_LT(options.max_message_bytes, whole);
  RecordProcessor cut(&options, Pack());
  ASSERT_EQ(cut.Process(Record(article), nullptr), Outcome::kAnalysed);
  EXPECT_TRUE(cut.cut());
  const emit::OutputMessage& a = cut.outputs()[0];
  EXPECT_LE(emit::RecordSize(a.key, a.value, a.headers), options.max_message_bytes);
  v1::ArticleAnalysis parsed;
  ASSERT_TRUE(parsed.ParseFromString(std::string(a.value)));
  ASSERT_GT(parsed.diagnostics_size(), 0);
  EXPECT_EQ(parsed.diagnostics(parsed.diagnostics_size() - 1).code(),
            v1::Diagnostic::CODE_OUTPUT_CUT);

  // Not even the events fit: one dead letter, output_too_large, and nothing else.
  options.max_message_bytes = 200;
  RecordProcessor tiny(&options, Pack());
  ASSERT_EQ(tiny.Process(Record(article), nullptr), Outcome::kDeadLetter);
  EXPECT_EQ(tiny.reason(), kOutputTooLarge);
  ASSERT_EQ(tiny.outputs().size(), 1u);
  EXPECT_EQ(tiny.outputs()[0].topic, "wirescan.dlq");
  EXPECT_EQ(HeadersOf(tiny.outputs()[0])["wirescan-dlq-reason"], "output_too_large");
}

TEST(RecordProcessorTest, DeadLettersAreCutToTheLimitAndTheLastResortIsShort) {
  ProcessorOptions options;
  RecordProcessor p(&options, Pack());
  const std::string big(200000, 'x');
  size_t limit = emit::kMinOutputBytes;
  const emit::OutputMessage& m = p.DeadLetter(Record(big), "output_refused", "why", &limit, false);
  EXPECT_EQ(limit, emit::kMinOutputBytes);
  EXPECT_LE(emit::RecordSize(m.key, m.value, m.headers), emit::kMinOutputBytes);
  EXPECT_EQ(big.substr(0, m.value.size()), m.value);
  auto h = HeadersOf(m);
  EXPECT_EQ(h[std::string(emit::kTruncatedHeader)], "true");
  EXPECT_EQ(h[std::string(emit::kOriginalSizeHeader)], "200000");
  EXPECT_EQ(h["wirescan-dlq-reason"], "output_refused");

  const emit::OutputMessage& last =
      p.DeadLetter(Record(big), "dead_letter_refused", "why", &limit, true);
  EXPECT_LT(limit, emit::kMinOutputBytes);
  EXPECT_LE(last.value.size(), RecordProcessor::kLastResortValueBytes);
}

TEST(RecordProcessorTest, ACancelledRecordHasNoOutputs) {
  ProcessorOptions options;
  RecordProcessor p(&options, Pack());
  std::atomic<bool> cancel{true};
  EXPECT_EQ(p.Process(Record(SampleArticle()), &cancel), Outcome::kCancelled);
  EXPECT_TRUE(p.outputs().empty());
}

TEST(RecordProcessorTest, PassthroughCopiesTheInputToTheAnalysisTopic) {
  ProcessorOptions options;
  options.passthrough = true;
  RecordProcessor p(&options, Pack());
  ASSERT_EQ(p.Process(Record("{not json"), nullptr), Outcome::kAnalysed);
  ASSERT_EQ(p.outputs().size(), 1u);
  EXPECT_EQ(p.outputs()[0].topic, "wirescan.analysis");
  EXPECT_EQ(p.outputs()[0].value, "{not json");
  EXPECT_EQ(p.outputs()[0].key, "k1");
  EXPECT_EQ(p.outputs()[0].headers.size(), 4u);
}

TEST(RecordProcessorTest, AnalyseIsParseAndExtractOnly) {
  ProcessorOptions options;
  RecordProcessor p(&options, Pack());
  ASSERT_EQ(p.Analyse(R"({"body": "JCET will invest 7.8 billion yuan."})", false,
                      [] { return std::string("file.jsonl:3"); }, nullptr),
            Outcome::kAnalysed);
  EXPECT_TRUE(p.outputs().empty());
  EXPECT_EQ(p.analysis()->article().id(), "file.jsonl:3");
  ASSERT_EQ(p.Analyse(R"([1])", false, [] { return std::string("x"); }, nullptr),
            Outcome::kDeadLetter);
  EXPECT_EQ(p.reason(), "not_object");
}

}  // namespace
}  // namespace wirescan::pipeline
