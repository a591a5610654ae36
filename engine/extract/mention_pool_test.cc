#include "engine/extract/mention_pool.h"

#include <memory>

#include "gtest/gtest.h"

namespace wirescan::extract {
namespace {

TEST(MentionPoolTest, MentionsComeBackUncleared) {
  MentionPool pool;
  v1::ArticleAnalysis a;
  a.add_mentions()->set_text("JCET");
  pool.Reclaim(&a);
  EXPECT_EQ(a.mentions_size(), 0);
  EXPECT_EQ(pool.pooled(), 1u);
  std::unique_ptr<v1::Mention> m = pool.Plain();
  EXPECT_EQ(m->text(), "JCET");  // the caller writes every field
  EXPECT_EQ(pool.pooled(), 0u);
  EXPECT_NE(pool.Plain(), nullptr);  // an empty pool makes new ones
}

TEST(MentionPoolTest, FiguresKeepTheirFigurePlainMentionsHaveNone) {
  MentionPool pool;
  v1::ArticleAnalysis a;
  a.add_mentions()->mutable_figure()->set_value(1);
  a.add_mentions()->set_text("plain");
  pool.Reclaim(&a);
  std::unique_ptr<v1::Mention> f = pool.ForFigure();
  EXPECT_TRUE(f->has_figure());
  std::unique_ptr<v1::Mention> p = pool.Plain();
  EXPECT_FALSE(p->has_figure());
  // Only figures left in the pool: a plain mention taken from them loses its Figure.
  a.Clear();
  a.add_mentions()->mutable_figure()->set_value(2);
  pool.Reclaim(&a);
  p = pool.Plain();
  EXPECT_FALSE(p->has_figure());
  EXPECT_EQ(pool.pooled(), 0u);
}

TEST(MentionPoolTest, Bounded) {
  MentionPool pool;
  v1::ArticleAnalysis big;
  for (size_t i = 0; i < MentionPool::kMaxPooled + 10; ++i) big.add_mentions();
  pool.Reclaim(&big);
  EXPECT_EQ(big.mentions_size(), 0);
  EXPECT_EQ(pool.pooled(), MentionPool::kMaxPooled);  // the rest freed
}

TEST(MentionPoolTest, ResetForgetsEverything) {
  MentionPool pool;
  v1::ArticleAnalysis a;
  a.add_mentions();
  a.add_mentions()->mutable_figure();
  pool.Reclaim(&a);
  pool.Reset();
  EXPECT_EQ(pool.pooled(), 0u);
}

}  // namespace
}  // namespace wirescan::extract
