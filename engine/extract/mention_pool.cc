#include "engine/extract/mention_pool.h"

#include <utility>

namespace wirescan::extract {

void MentionPool::Reset() {
  figures_.clear();
  plain_.clear();
}

void MentionPool::Reclaim(v1::ArticleAnalysis* out) {
  auto* mentions = out->mutable_mentions();
  while (!mentions->empty()) {
    std::unique_ptr<v1::Mention> m(mentions->ReleaseLast());
    if (pooled() >= kMaxPooled) continue;  // freed
    (m->has_figure() ? figures_ : plain_).push_back(std::move(m));
  }
}

std::unique_ptr<v1::Mention> MentionPool::Take(Mentions* from) {
  std::unique_ptr<v1::Mention> m = std::move(from->back());
  from->pop_back();
  return m;
}

std::unique_ptr<v1::Mention> MentionPool::ForFigure() {
  if (!figures_.empty()) return Take(&figures_);
  return Plain();
}

std::unique_ptr<v1::Mention> MentionPool::Plain() {
  if (!plain_.empty()) return Take(&plain_);
  if (!figures_.empty()) {
    std::unique_ptr<v1::Mention> m = Take(&figures_);
    m->clear_figure();
    return m;
  }
  return std::make_unique<v1::Mention>();
}

}  // namespace wirescan::extract
