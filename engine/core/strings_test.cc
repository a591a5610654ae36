#include "engine/core/strings.h"

#include <string>

#include "gtest/gtest.h"

namespace wirescan::core {
namespace {

TEST(AtLineStartTest, AfterALineBreakOrTheTextsStartWithAtMostSixteenBlanks) {
  EXPECT_TRUE(AtLineStart("Net 1", 0));
  EXPECT_TRUE(AtLineStart("x\nNet 1", 2));
  EXPECT_TRUE(AtLineStart("x\r\n    Net 1", 7));
  EXPECT_TRUE(AtLineStart("x\n\t  Net 1", 5));
  EXPECT_TRUE(AtLineStart("  Net", 2));
  EXPECT_FALSE(AtLineStart("The Net", 4));
  EXPECT_FALSE(AtLineStart("x\nThe Net", 6));
  const std::string sixteen(16, ' '), seventeen(17, ' ');
  EXPECT_TRUE(AtLineStart("x\n" + sixteen + "Net", 18));
  EXPECT_FALSE(AtLineStart("x\n" + seventeen + "Net", 19));
  EXPECT_TRUE(AtLineStart(sixteen + "Net", 16));
  EXPECT_FALSE(AtLineStart(seventeen + "Net", 17));
  EXPECT_FALSE(AtLineStart("Net", 4));  // past the end
}

}  // namespace
}  // namespace wirescan::core
