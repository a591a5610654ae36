#include "engine/metrics/process.h"

#include <fcntl.h>
#include <unistd.h>

#include <ctime>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace wirescan::metrics {
namespace {

using ::testing::HasSubstr;

TEST(ProcessStatsTest, ValuesAreSane) {
  absl::StatusOr<ProcessStats> stats = ReadProcessStats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_GT(stats->resident_bytes, 0);
  EXPECT_GE(stats->virtual_bytes, stats->resident_bytes);
  EXPECT_GT(stats->open_fds, 0);
  EXPECT_GE(stats->max_fds, stats->open_fds);
  EXPECT_GE(stats->cpu_seconds, 0);
  const double now = static_cast<double>(std::time(nullptr));
  EXPECT_LE(stats->start_time_seconds, now + 1);  // clock-tick rounding
  EXPECT_GT(stats->start_time_seconds, 1.5e9);     // after 2017: a plausible epoch time
}

TEST(ProcessStatsTest, OpenFdsCountsANewDescriptor) {
  absl::StatusOr<ProcessStats> before = ReadProcessStats();
  ASSERT_TRUE(before.ok()) << before.status();
  int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  absl::StatusOr<ProcessStats> after = ReadProcessStats();
  close(fd);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->open_fds, before->open_fds + 1);
}

TEST(ProcessCollectorTest, ExposesTheStandardFamilies) {
  Registry r;
  Registry::CollectorId id = AddProcessCollector(&r);
  std::string text = r.Expose();
  EXPECT_THAT(text, HasSubstr("# TYPE process_cpu_seconds_total counter\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE process_resident_memory_bytes gauge\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE process_virtual_memory_bytes gauge\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE process_open_fds gauge\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE process_max_fds gauge\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE process_start_time_seconds gauge\n"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("process_resident_memory_bytes 0\n")));
  r.RemoveCollector(id);
  EXPECT_EQ(r.Expose(), "");
}

}  // namespace
}  // namespace wirescan::metrics
