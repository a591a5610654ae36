#include "engine/extract/mention_pool.h"

#include <utility>

namespace wirescan::extract {

void MentionPool::Reset(size_t entities) {
  by_entity_.clear();
  by_entity_.resize(entities);
  entity_pooled_ = 0;
  figures_.clear();
  plain_.clear();
  reclaims_ = 0;
}

void MentionPool::Reclaim(v1::ArticleAnalysis* out, std::span<const int32_t> hint) {
  if (++reclaims_ % kRefreshEvery == 0) DemoteEntities();
  auto* mentions = out->mutable_mentions();
  if (hint.size() != static_cast<size_t>(mentions->size())) hint = {};
  for (int i = mentions->size() - 1; i >= 0; --i) {
    std::unique_ptr<v1::Mention> m(mentions->ReleaseLast());
    const int32_t e = hint.empty() ? -1 : hint[static_cast<size_t>(i)];
    if (e >= 0 && static_cast<size_t>(e) < by_entity_.size() &&
        entity_pooled_ < kMaxEntityPooled && by_entity_[e].size() < kPerEntity) {
      by_entity_[e].push_back(std::move(m));
      ++entity_pooled_;
      continue;
    }
    KeepPlain(std::move(m));
  }
}

void MentionPool::KeepPlain(std::unique_ptr<v1::Mention> m) {
  if (figures_.size() + plain_.size() >= kMaxPlainPooled) return;  // freed
  if (!m->attributes().empty()) m->mutable_attributes()->clear();
  if (m->has_figure()) {
    figures_.push_back(std::move(m));
  } else {
    plain_.push_back(std::move(m));
  }
}

void MentionPool::DemoteEntities() {
  if (entity_pooled_ == 0) return;
  for (Mentions& pool : by_entity_) {
    for (std::unique_ptr<v1::Mention>& m : pool) KeepPlain(std::move(m));
    pool.clear();
  }
  entity_pooled_ = 0;
}

std::unique_ptr<v1::Mention> MentionPool::Take(Mentions* from) {
  std::unique_ptr<v1::Mention> m = std::move(from->back());
  from->pop_back();
  return m;
}

std::unique_ptr<v1::Mention> MentionPool::ForEntity(uint32_t e, bool* ready) {
  if (e < by_entity_.size() && !by_entity_[e].empty()) {
    *ready = true;
    --entity_pooled_;
    return Take(&by_entity_[e]);
  }
  *ready = false;
  return Plain();
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
