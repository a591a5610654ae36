#include "engine/core/line_reader.h"

#include <unistd.h>

#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace wirescan::core {
namespace {

struct Got {
  LineReader::Result result;
  std::string line;
  size_t line_no;
  size_t size;
};

// Writes `input` into a pipe from a thread (so reads come in pieces) and reads it back.
std::vector<Got> ReadAll(const std::string& input, size_t max_line) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  std::thread writer([&] {
    size_t done = 0;
    while (done < input.size()) {
      ssize_t n = write(fds[1], input.data() + done, std::min<size_t>(input.size() - done, 7919));
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    close(fds[1]);
  });
  LineReader reader(fds[0], max_line);
  std::vector<Got> out;
  while (true) {
    std::string_view line;
    size_t no = 0, size = 0;
    LineReader::Result r = reader.Next(&line, &no, &size);
    if (r == LineReader::Result::kEnd || r == LineReader::Result::kError) break;
    out.push_back({r, std::string(line), no, size});
  }
  writer.join();
  close(fds[0]);
  return out;
}

TEST(LineReaderTest, EmptyInputHasNoLines) { EXPECT_TRUE(ReadAll("", 100).empty()); }

TEST(LineReaderTest, SplitsLinesAndKeepsALastLineWithoutNewline) {
  auto got = ReadAll("a\n\nbc\nlast", 100);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].line, "a");
  EXPECT_EQ(got[1].line, "");
  EXPECT_EQ(got[2].line, "bc");
  EXPECT_EQ(got[3].line, "last");
  EXPECT_EQ(got[3].line_no, 4u);
}

TEST(LineReaderTest, OversizedLinesAreSkippedWithTheirSizeAndNumber) {
  const std::string big(3 * LineReader::kChunkBytes + 17, 'x');
  auto got = ReadAll("first\n" + big + "\nafter\n" + big, LineReader::kChunkBytes);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].line, "first");
  EXPECT_EQ(got[1].result, LineReader::Result::kOversized);
  EXPECT_EQ(got[1].size, big.size());
  EXPECT_EQ(got[1].line_no, 2u);
  EXPECT_EQ(got[2].line, "after");
  EXPECT_EQ(got[2].line_no, 3u);
  EXPECT_EQ(got[3].result, LineReader::Result::kOversized);  // at end of input, no newline
  EXPECT_EQ(got[3].size, big.size());
}

TEST(LineReaderTest, LineOfExactlyTheLimitIsKept) {
  const std::string exact(1000, 'y');
  auto got = ReadAll(exact + "\n" + exact + "z\n", 1000);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].result, LineReader::Result::kLine);
  EXPECT_EQ(got[0].line, exact);
  EXPECT_EQ(got[1].result, LineReader::Result::kOversized);
  EXPECT_EQ(got[1].size, 1001u);
}

TEST(LineReaderTest, RandomLinesComeBackExactly) {
  std::mt19937 rng(42);
  std::vector<std::string> lines;
  std::string input;
  for (int i = 0; i < 3000; ++i) {
    std::string line(rng() % (i % 100 == 0 ? 300000 : 2000), 'a' + static_cast<char>(i % 26));
    input += line + "\n";
    lines.push_back(std::move(line));
  }
  auto got = ReadAll(input, 1 << 20);
  ASSERT_EQ(got.size(), lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    ASSERT_EQ(got[i].line, lines[i]) << i;
    ASSERT_EQ(got[i].line_no, i + 1);
  }
}

TEST(LineReaderTest, PeekDoesNotConsume) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  ASSERT_EQ(write(fds[1], "  {x}\nnext\n", 11), 11);
  close(fds[1]);
  LineReader reader(fds[0], 100);
  EXPECT_EQ(reader.Peek(3), "  {");
  std::string_view line;
  size_t no, size;
  ASSERT_EQ(reader.Next(&line, &no, &size), LineReader::Result::kLine);
  EXPECT_EQ(line, "  {x}");
  ASSERT_EQ(reader.Next(&line, &no, &size), LineReader::Result::kLine);
  EXPECT_EQ(line, "next");
  EXPECT_EQ(reader.Next(&line, &no, &size), LineReader::Result::kEnd);
  close(fds[0]);
}

TEST(LineReaderTest, ReadErrorIsReported) {
  LineReader reader(-1, 100);
  std::string_view line;
  size_t no, size;
  EXPECT_EQ(reader.Next(&line, &no, &size), LineReader::Result::kError);
  EXPECT_NE(reader.error(), 0);
}

}  // namespace
}  // namespace wirescan::core
