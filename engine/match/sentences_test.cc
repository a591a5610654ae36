#include "engine/match/sentences.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace wirescan::match {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<uint32_t> Ends(std::string_view text) {
  std::vector<uint32_t> ends;
  FindSentenceEnds(text, &ends);
  return ends;
}

// The vector pass reads 16 bytes at a time: a terminator at every offset, across block
// boundaries and in the scalar tail, must be decided the same way.
TEST(SentencesTest, TerminatorAtEveryOffset) {
  for (uint32_t k = 0; k < 40; ++k) {
    std::string pad(k, 'a');
    EXPECT_THAT(Ends(pad + ". Next"), ElementsAre(k + 1)) << k;
    EXPECT_THAT(Ends(pad + "? Next"), ElementsAre(k + 1)) << k;
    EXPECT_THAT(Ends(pad + "!"), ElementsAre(k + 1)) << k;
    EXPECT_THAT(Ends(pad + "\nThe"), ElementsAre(k + 1)) << k;
    EXPECT_THAT(Ends(pad + "\xE3\x80\x82" "b"), ElementsAre(k + 3)) << k;  // 。
    EXPECT_THAT(Ends(pad + "\xEF\xBC\x81"), ElementsAre(k + 3)) << k;      // ！
    EXPECT_THAT(Ends(pad + "\xEF\xBC\x9F" "x"), ElementsAre(k + 3)) << k;  // ？
    EXPECT_THAT(Ends(pad + "1.15 pct"), IsEmpty()) << k;
    EXPECT_THAT(Ends(pad + "\xEF\xBC\x8C" "b"), IsEmpty()) << k;  // ，is not a terminator
    EXPECT_THAT(Ends(pad + "\xE3\x80\x81"), IsEmpty()) << k;      // 、 neither
  }
}

TEST(SentencesTest, TruncatedCjkTerminatorIsNotAnEnd) {
  EXPECT_THAT(Ends("abc\xE3\x80"), IsEmpty());
  EXPECT_THAT(Ends("abc\xEF"), IsEmpty());
}

TEST(SentencesTest, ManyEndsInOneBlock) {
  // "A." and "D." are initials (abbreviations); the line break after "D." ends the sentence.
  EXPECT_THAT(Ends("A. B! C? D.\nE"), ElementsAre(5u, 8u, 12u));
}

TEST(SentencesTest, SoftWrapAndAbbreviation) {
  EXPECT_THAT(Ends("invest 7.8 billion\nyuan. Then"), ElementsAre(24u));
  EXPECT_THAT(Ends("Samsung Electronics Co. Ltd said so. Then"), ElementsAre(36u));
}

}  // namespace
}  // namespace wirescan::match
