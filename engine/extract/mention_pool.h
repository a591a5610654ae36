#pragma once
// MentionPool: the output mentions of one analysis, recycled into the next.
//
// Protobuf's Clear() keeps a cleared Mention's strings but frees its Figure, so every figure
// mention allocated a Figure per article. Here the mentions of the previous analysis come back
// uncleared: a figure mention keeps its Figure, whose fields the caller all overwrites, and the
// caller writes or clears every other field of every mention it takes. (An entity's type,
// canonical name and attributes are in ArticleAnalysis.entities, written once per article.)
//
// The pool only ever reclaims the Extractor's own output, which callers see as const
// (Extractor::Analyze without an `out`).
//
// Bounded: at most kMaxPooled mentions; the rest are freed.
//
// Thread safety: thread-compatible; owned by one Extractor.

#include <cstddef>
#include <memory>
#include <vector>

#include "wirescan/v1/analysis.pb.h"

namespace wirescan::extract {

class MentionPool {
 public:
  static constexpr size_t kMaxPooled = 8192;

  // Drops every pooled mention.
  void Reset();

  // Moves every mention of `out` (a heap message) into the pool.
  void Reclaim(v1::ArticleAnalysis* out);

  // A mention that may still have a Figure (every field to be written).
  std::unique_ptr<v1::Mention> ForFigure();
  // A mention without a Figure (every other field to be written).
  std::unique_ptr<v1::Mention> Plain();

  size_t pooled() const { return figures_.size() + plain_.size(); }

 private:
  using Mentions = std::vector<std::unique_ptr<v1::Mention>>;
  static std::unique_ptr<v1::Mention> Take(Mentions* from);

  Mentions figures_;  // with a Figure
  Mentions plain_;    // no Figure
};

}  // namespace wirescan::extract
