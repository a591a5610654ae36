#pragma once
// MentionPool: the output mentions of one analysis, recycled into the next by what they hold.
//
// Protobuf's Clear() keeps a cleared Mention's strings but frees its map nodes and its Figure,
// so every entity mention used to insert its attributes into a fresh map (a node allocation
// and a hash per attribute, then a free at the next Clear) and every figure allocated a Figure:
// a tenth of the instructions of a Chinese article. Here an entity mention goes back to the
// pool of its entity with its type, canonical name, rule id and attributes still in place, and
// the next mention of that entity only writes its text, field and offsets; a figure mention
// keeps its Figure, whose fields the caller all overwrites.
//
// The pool trusts the hint: it only ever reclaims the Extractor's own output, which callers
// see as const (Extractor::Analyze without an `out`), so a mention still holds what it was
// built with.
//
// Bounded: at most kPerEntity mentions per entity, kMaxEntityPooled entity mentions and
// kMaxPlainPooled others; the rest are freed or, for entities, demoted to plain mentions. Every
// kRefreshEvery reclaims all entity mentions are demoted, so entities seen once long ago do not
// keep the places of the frequent ones.
//
// Thread safety: thread-compatible; owned by one Extractor.

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "wirescan/v1/analysis.pb.h"

namespace wirescan::extract {

class MentionPool {
 public:
  static constexpr size_t kPerEntity = 16;
  static constexpr size_t kMaxEntityPooled = 4096;
  static constexpr size_t kMaxPlainPooled = 4096;
  static constexpr uint32_t kRefreshEvery = 1024;

  // Drops every pooled mention and sizes the entity pools for a model of `entities` entities
  // (after Bind(): entity indices change meaning).
  void Reset(size_t entities);

  // Moves every mention of `out` (a heap message) into the pool. `hint[i]` is the entity
  // mention i was built for, or -1; a hint of another size than the mentions is ignored.
  void Reclaim(v1::ArticleAnalysis* out, std::span<const int32_t> hint);

  // A mention holding entity `e`'s type, canonical name, rule id and attributes (*ready =
  // true), or else a plain one (*ready = false).
  std::unique_ptr<v1::Mention> ForEntity(uint32_t e, bool* ready);
  // A mention without attributes that may still have a Figure (every field to be written).
  std::unique_ptr<v1::Mention> ForFigure();
  // A mention without attributes or Figure.
  std::unique_ptr<v1::Mention> Plain();

  size_t entity_pooled() const { return entity_pooled_; }
  size_t plain_pooled() const { return figures_.size() + plain_.size(); }

 private:
  using Mentions = std::vector<std::unique_ptr<v1::Mention>>;
  static std::unique_ptr<v1::Mention> Take(Mentions* from);
  // Into `figures_` or `plain_` (attributes cleared), or freed when they are full.
  void KeepPlain(std::unique_ptr<v1::Mention> m);
  void DemoteEntities();

  std::vector<Mentions> by_entity_;
  size_t entity_pooled_ = 0;
  Mentions figures_;  // with a Figure, no attributes
  Mentions plain_;    // no Figure, no attributes
  uint32_t reclaims_ = 0;
};

}  // namespace wirescan::extract
