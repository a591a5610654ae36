#include "engine/rules/reloader.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace wirescan::rules {
namespace {

namespace fs = std::filesystem;

// A private copy of the shipped rule pack that a test may break.
class ReloaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("reloader_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    for (const auto& e : fs::directory_iterator(WIRESCAN_DEFAULT_RULES_DIR)) {
      if (e.is_regular_file()) fs::copy_file(e.path(), dir_ / e.path().filename());
    }
    auto pack = LoadRulePack(dir_.string());
    ASSERT_TRUE(pack.ok()) << pack.status();
    initial_ = *pack;
  }
  void TearDown() override { fs::remove_all(dir_); }

  Reloader::Options Options() const {
    Reloader::Options o;
    o.dir = dir_.string();
    o.watch = false;
    return o;
  }

  fs::path dir_;
  std::shared_ptr<const RulePack> initial_;
};

TEST_F(ReloaderTest, ABrokenPackIsRejectedAndTheLiveOneStays) {
  LiveRules live(initial_);
  int outcomes = 0, failed = 0;
  Reloader reloader({.dir = dir_.string(), .watch = false, .debounce_ms = 0, .cache_dir = "",
                     .on_outcome = [&](bool ok, const std::string& version) {
                       ++outcomes;
                       if (!ok) ++failed;
                       EXPECT_EQ(version, initial_->version);
                     }},
                    &live);
  { std::ofstream(dir_ / "zz_broken.yaml") << "entities: [ this is not closed\n"; }
  absl::StatusOr<std::string> r = reloader.ReloadNow("test");
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("zz_broken.yaml"), std::string::npos) << r.status();
  EXPECT_EQ(live.Get(), initial_);
  EXPECT_EQ(reloader.failures(), 1u);
  EXPECT_EQ(reloader.successes(), 0u);
  EXPECT_EQ(outcomes, 1);
  EXPECT_EQ(failed, 1);
}

TEST_F(ReloaderTest, AChangedPackIsPublishedWithItsNewVersion) {
  LiveRules live(initial_);
  uint64_t seen = 0;
  live.Changed(&seen);
  Reloader reloader(Options(), &live);
  // A comment changes the content hash, not the rules.
  for (const auto& e : fs::directory_iterator(dir_)) {
    std::ofstream(e.path(), std::ios::app) << "\n# reloaded\n";
    break;
  }
  absl::StatusOr<std::string> r = reloader.ReloadNow("test");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NE(*r, initial_->version);
  EXPECT_EQ(live.Get()->version, *r);
  EXPECT_TRUE(live.Changed(&seen));
  EXPECT_EQ(reloader.successes(), 1u);
}

TEST_F(ReloaderTest, APrepareErrorRejectsTheValidPack) {
  LiveRules live(initial_);
  int prepared = 0;
  Reloader reloader(Options(), &live,
                    [&](const RulePack& next) -> absl::Status {
                      ++prepared;
                      EXPECT_FALSE(next.version.empty());
                      return absl::UnavailableError("cannot create the topics");
                    });
  absl::StatusOr<std::string> r = reloader.ReloadNow("test");
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("cannot create the topics"), std::string::npos) << r.status();
  EXPECT_EQ(prepared, 1);
  EXPECT_EQ(live.Get(), initial_);
  EXPECT_EQ(reloader.failures(), 1u);
}

}  // namespace
}  // namespace wirescan::rules
