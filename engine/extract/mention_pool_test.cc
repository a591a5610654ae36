#include "engine/extract/mention_pool.h"

#include <memory>
#include <vector>

#include "gtest/gtest.h"

namespace wirescan::extract {
namespace {

// A pool for `entities` entities that has reclaimed an analysis of `n` mentions of entity 0
// ("org.a", attributes set), hinted as such unless `hinted` is false (a hint one short, which
// the pool ignores). Returns the analysis after the reclaim.
v1::ArticleAnalysis ReclaimEntityMentions(MentionPool* pool, size_t entities, size_t n,
                                          bool hinted = true) {
  pool->Reset(entities);
  v1::ArticleAnalysis a;
  std::vector<int32_t> hint;
  for (size_t i = 0; i < n; ++i) {
    v1::Mention* m = a.add_mentions();
    m->set_rule_id("org.a");
    (*m->mutable_attributes())["country"] = "TW";
    hint.push_back(0);
  }
  if (!hinted) hint.pop_back();
  pool->Reclaim(&a, hint);
  return a;
}

TEST(MentionPoolTest, EntityMentionsComeBackWithTheirAttributes) {
  MentionPool pool;
  v1::ArticleAnalysis a = ReclaimEntityMentions(&pool, 2, 3);
  EXPECT_EQ(a.mentions_size(), 0);
  EXPECT_EQ(pool.entity_pooled(), 3u);
  bool ready = false;
  std::unique_ptr<v1::Mention> m = pool.ForEntity(0, &ready);
  EXPECT_TRUE(ready);
  EXPECT_EQ(m->rule_id(), "org.a");
  EXPECT_EQ(m->attributes().at("country"), "TW");
  // Another entity gets a plain mention: the caller fills it.
  m = pool.ForEntity(1, &ready);
  EXPECT_FALSE(ready);
  EXPECT_TRUE(m->attributes().empty());
}

TEST(MentionPoolTest, WithoutAMatchingHintEverythingIsPlain) {
  MentionPool pool;
  ReclaimEntityMentions(&pool, 1, 3, /*hinted=*/false);
  EXPECT_EQ(pool.entity_pooled(), 0u);
  EXPECT_EQ(pool.plain_pooled(), 3u);
  bool ready = true;
  std::unique_ptr<v1::Mention> m = pool.ForEntity(0, &ready);
  EXPECT_FALSE(ready);
  EXPECT_TRUE(m->attributes().empty());  // cleared when it became plain
}

TEST(MentionPoolTest, FiguresKeepTheirFigurePlainMentionsHaveNone) {
  MentionPool pool;
  pool.Reset(0);
  v1::ArticleAnalysis a;
  a.add_mentions()->mutable_figure()->set_value(1);
  a.add_mentions()->set_text("plain");
  pool.Reclaim(&a, std::vector<int32_t>{-1, -1});
  std::unique_ptr<v1::Mention> f = pool.ForFigure();
  EXPECT_TRUE(f->has_figure());
  std::unique_ptr<v1::Mention> p = pool.Plain();
  EXPECT_FALSE(p->has_figure());
  // Only figures left in the pool: a plain mention taken from them loses its Figure.
  a.Clear();
  a.add_mentions()->mutable_figure()->set_value(2);
  pool.Reclaim(&a, std::vector<int32_t>{-1});
  p = pool.Plain();
  EXPECT_FALSE(p->has_figure());
  EXPECT_EQ(pool.plain_pooled(), 0u);
}

TEST(MentionPoolTest, Bounded) {
  MentionPool pool;
  ReclaimEntityMentions(&pool, 1, MentionPool::kPerEntity + 5);
  EXPECT_EQ(pool.entity_pooled(), MentionPool::kPerEntity);
  EXPECT_EQ(pool.plain_pooled(), 5u);  // the rest, attributes cleared
  std::vector<int32_t> hint;
  v1::ArticleAnalysis big;
  for (size_t i = 0; i < MentionPool::kMaxPlainPooled + 10; ++i) {
    big.add_mentions();
    hint.push_back(-1);
  }
  pool.Reclaim(&big, hint);
  EXPECT_EQ(pool.plain_pooled(), MentionPool::kMaxPlainPooled);  // the rest freed
}

TEST(MentionPoolTest, EntityMentionsAreDemotedPeriodically) {
  MentionPool pool;
  ReclaimEntityMentions(&pool, 1, 2);
  ASSERT_EQ(pool.entity_pooled(), 2u);
  v1::ArticleAnalysis empty;
  for (uint32_t i = 1; i < MentionPool::kRefreshEvery; ++i) pool.Reclaim(&empty, {});
  EXPECT_EQ(pool.entity_pooled(), 0u);
  EXPECT_EQ(pool.plain_pooled(), 2u);
  bool ready = true;
  EXPECT_TRUE(pool.ForEntity(0, &ready)->attributes().empty());
  EXPECT_FALSE(ready);
}

TEST(MentionPoolTest, ResetForgetsEverything) {
  MentionPool pool;
  ReclaimEntityMentions(&pool, 1, 2);
  ASSERT_EQ(pool.entity_pooled(), 2u);
  pool.Reset(1);
  EXPECT_EQ(pool.entity_pooled(), 0u);
  EXPECT_EQ(pool.plain_pooled(), 0u);
}

}  // namespace
}  // namespace wirescan::extract
