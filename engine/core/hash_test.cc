#include "engine/core/hash.h"

#include <string>

#include "gtest/gtest.h"

namespace wirescan::core {
namespace {

// Published FNV-1a 64-bit test vectors: the hash must be the same everywhere, forever.
TEST(Fnv64Test, MatchesReferenceVectors) {
  EXPECT_EQ(Fnv64().value(), 0xcbf29ce484222325ull);
  EXPECT_EQ(Fnv64().Add("a").value(), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(Fnv64().Add("foobar").value(), 0x85944171f73967e8ull);
}

TEST(Fnv64Test, HexIsSixteenLowerCaseDigits) {
  EXPECT_EQ(Fnv64().Hex(), "cbf29ce484222325");
  EXPECT_EQ(Fnv64().Add("a").Hex(), "af63dc4c8601ec8c");
  EXPECT_EQ(Fnv64().Add("foobar").Hex(), "85944171f73967e8");
  for (const char* s : {"", "x", "hello world", "\xE5\x8F\xB0"}) {
    std::string hex = Fnv64().Add(s).Hex();
    ASSERT_EQ(hex.size(), 16u);
    for (char c : hex) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << hex;
  }
}

TEST(Fnv64Test, AddIsIncremental) {
  EXPECT_EQ(Fnv64().Add("foo").Add("bar").value(), Fnv64().Add("foobar").value());
}

TEST(Fnv64Test, AddFieldSeparatesBoundaries) {
  EXPECT_NE(Fnv64().AddField("ab").AddField("c").value(),
            Fnv64().AddField("a").AddField("bc").value());
  EXPECT_NE(Fnv64().AddField("").AddField("x").value(), Fnv64().AddField("x").AddField("").value());
  EXPECT_EQ(Fnv64().AddField("ab").AddField("c").value(),
            Fnv64().AddField("ab").AddField("c").value());
}

TEST(Fnv64Test, AddU64IsEightLittleEndianBytes) {
  const std::string bytes("\x01\x02\x03\x04\x05\x06\x07\x08", 8);
  EXPECT_EQ(Fnv64().AddU64(0x0807060504030201ull).value(), Fnv64().Add(bytes).value());
  EXPECT_EQ(Fnv64().AddU64(0).value(), Fnv64().Add(std::string(8, '\0')).value());
}

TEST(Fnv64Test, AddFieldIsLengthThenBytes) {
  EXPECT_EQ(Fnv64().AddField("abc").value(), Fnv64().AddU64(3).Add("abc").value());
}

TEST(Fnv64Test, DifferentInputsDiffer) {
  EXPECT_NE(Fnv64().Add("article-1").Hex(), Fnv64().Add("article-2").Hex());
  EXPECT_NE(Fnv64().AddU64(1).value(), Fnv64().AddU64(2).value());
}

}  // namespace
}  // namespace wirescan::core
