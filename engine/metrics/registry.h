#pragma once
// A small Prometheus client: metric families (Counter, Gauge, Histogram with fixed buckets) with
// label names, collectors for values computed at scrape time, and the text exposition format
// 0.0.4 (Registry::Expose()).
//
// Lifecycle: the daemon builds one Registry and hands it to each stage's probe, which registers
// all of that stage's families in one place (STYLE.md, Metrics) and resolves the children it
// will update with WithLabels() once, off the hot path. The hot path then only does a relaxed
// atomic add on a child it holds: no lock, no map lookup, no allocation.
//
//   Registry registry;
//   CounterFamily* records = registry.AddCounter(
//       "wirescan_source_records_total", "Records consumed.", {"topic", "partition"});
//   std::shared_ptr<Counter> p3 = records->WithLabels({"wirescan.articles", "3"});
//   p3->Inc();                                    // per record, on ws:part-3
//   records->RemoveIf([](auto labels) { return labels[1] == "3"; });  // partition revoked
//
// Children are shared: Remove() drops a child from the exposition (its series disappears on the
// next scrape) but a holder of the shared_ptr may keep updating it safely until it lets go, e.g.
// until the partition thread picks up the next rule set after a reload.
//
// Registration errors (an invalid or conflicting name, bad label names or buckets) are
// programming errors: they are logged, recorded in status(), and the call still returns a usable
// family that is simply not exposed, so a probe never has to handle a failure and a bug never
// takes the daemon down. The daemon checks status() once after wiring.
//
// Thread safety: Registry, the families and the children are thread-safe.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"

namespace wirescan::metrics {

enum class MetricType { kCounter, kGauge, kHistogram };

// Label values in the order of the family's label names.
using LabelValues = absl::Span<const std::string_view>;

namespace internal {

// One series of a family at scrape time.
struct Series {
  std::vector<std::string> label_values;
  double value = 0;                // counter, gauge
  std::vector<double> bounds;      // histogram: bucket upper bounds, without +Inf
  std::vector<uint64_t> buckets;   // histogram: cumulative counts, bounds.size() + 1 (+Inf)
  double sum = 0;                  // histogram
};

struct FamilySnapshot {
  std::string name;
  std::string help;
  MetricType type = MetricType::kGauge;
  std::vector<std::string> label_names;
  std::vector<Series> series;
};

class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, MetricType type,
             std::vector<std::string> label_names)
      : name_(std::move(name)),
        help_(std::move(help)),
        type_(type),
        label_names_(std::move(label_names)) {}
  virtual ~FamilyBase() = default;
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  MetricType type() const { return type_; }
  const std::vector<std::string>& label_names() const { return label_names_; }

  // Appends the family's current series, sorted by label values.
  virtual void Snapshot(FamilySnapshot* out) const = 0;

 protected:
  // Logs a WithLabels()/Remove() call whose arity does not match label_names().
  void LogArityError(size_t got) const;

 private:
  const std::string name_;
  const std::string help_;
  const MetricType type_;
  const std::vector<std::string> label_names_;
};

}  // namespace internal

// A monotonic counter. Inc() is a relaxed fetch_add on a uint64: a counter is a single
// independent value, the scrape needs no ordering with any other memory, and atomicity alone
// guarantees that no increment is lost. Add(double) (e.g. seconds) is a relaxed CAS loop on a
// separate double; Value() is their sum. Aligned to a cache line so that children updated by
// different threads never share one.
// Thread safety: thread-safe.
class alignas(64) Counter {
 public:
  void Inc() { count_.fetch_add(1, std::memory_order_relaxed); }
  void Inc(uint64_t n) { count_.fetch_add(n, std::memory_order_relaxed); }
  // REQUIRES: v >= 0 (a negative or NaN amount is ignored).
  void Add(double v);
  double Value() const;

  void AppendTo(internal::Series* s) const { s->value = Value(); }

 private:
  std::atomic<uint64_t> count_{0};
  std::atomic<double> fraction_{0};
};

// A value that goes up and down. All operations are relaxed (see Counter).
// Thread safety: thread-safe.
class alignas(64) Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  void Sub(double v) { value_.fetch_sub(v, std::memory_order_relaxed); }
  void Inc() { Add(1); }
  void Dec() { Sub(1); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

  void AppendTo(internal::Series* s) const { s->value = Value(); }

 private:
  std::atomic<double> value_{0};
};

// A histogram with fixed bucket upper bounds (the family's). Observe() finds the bucket by
// binary search, then does one relaxed fetch_add on that bucket and one relaxed CAS-add on the
// sum. Buckets are stored non-cumulative and summed at scrape time; _count is the sum of all
// buckets, so _count always equals the +Inf bucket. A scrape racing an Observe() may see the
// bucket without the sum (or the reverse): each value is exact, the pair is not a snapshot.
// Thread safety: thread-safe.
class alignas(64) Histogram {
 public:
  // `bounds`: strictly increasing, finite (validated by the family).
  explicit Histogram(std::shared_ptr<const std::vector<double>> bounds);

  void Observe(double v);

  uint64_t Count() const;
  double Sum() const { return sum_.load(std::memory_order_relaxed); }
  void AppendTo(internal::Series* s) const;

 private:
  const std::shared_ptr<const std::vector<double>> bounds_;
  const std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_->size() + 1 (+Inf)
  std::atomic<double> sum_{0};
};

// A metric family: one name, help and type, label names, and one child per label-value set.
// A family without labels has exactly one child, created at registration (exposed as 0).
// Families are owned by the Registry and live as long as it does.
// Thread safety: thread-safe (a mutex guards the child map; children are updated lock-free).
template <typename Child>
class Family final : public internal::FamilyBase {
 public:
  using MakeChild = std::function<std::shared_ptr<Child>()>;

  Family(std::string name, std::string help, MetricType type,
         std::vector<std::string> label_names, MakeChild make)
      : FamilyBase(std::move(name), std::move(help), type, std::move(label_names)),
        make_(std::move(make)) {
    if (this->label_names().empty()) children_[{}] = make_();
  }

  // The child for `values` (created on first use; the same pointer afterwards until Remove()).
  // Takes the family mutex: call it when a label set appears (partition assigned, rule set
  // loaded), keep the result, and update the child on the hot path.
  // REQUIRES: values.size() == label_names().size(). Otherwise the error is logged and a
  // detached child (never exposed) is returned.
  std::shared_ptr<Child> WithLabels(LabelValues values) {
    if (values.size() != label_names().size()) {
      LogArityError(values.size());
      return make_();
    }
    std::vector<std::string> key(values.begin(), values.end());
    absl::MutexLock lock(&mu_);
    std::shared_ptr<Child>& slot = children_[std::move(key)];
    if (slot == nullptr) slot = make_();
    return slot;
  }

  // Drops the series for `values` from the exposition. Holders of the child keep a valid
  // object. Returns whether it existed.
  bool Remove(LabelValues values) {
    if (values.size() != label_names().size()) {
      LogArityError(values.size());
      return false;
    }
    std::vector<std::string> key(values.begin(), values.end());
    absl::MutexLock lock(&mu_);
    return children_.erase(key) > 0;
  }

  // Drops every series whose label values satisfy `pred` (e.g. rule ids not in the new rule
  // set). Returns how many were dropped. `pred` runs under the family mutex: it must not call
  // back into this family.
  size_t RemoveIf(absl::FunctionRef<bool(absl::Span<const std::string>)> pred) {
    absl::MutexLock lock(&mu_);
    size_t removed = 0;
    for (auto it = children_.begin(); it != children_.end();) {
      if (pred(it->first)) {
        it = children_.erase(it);
        ++removed;
      } else {
        ++it;
      }
    }
    return removed;
  }

  size_t size() const {
    absl::MutexLock lock(&mu_);
    return children_.size();
  }

  void Snapshot(internal::FamilySnapshot* out) const override {
    absl::MutexLock lock(&mu_);
    out->series.reserve(out->series.size() + children_.size());
    for (const auto& [labels, child] : children_) {  // std::map: sorted by label values
      internal::Series& s = out->series.emplace_back();
      s.label_values = labels;
      child->AppendTo(&s);
    }
  }

 private:
  const MakeChild make_;
  mutable absl::Mutex mu_;
  std::map<std::vector<std::string>, std::shared_ptr<Child>> children_ ABSL_GUARDED_BY(mu_);
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

// Buckets `start`, `start*factor`, ... (`count` of them). REQUIRES: start > 0, factor > 1.
std::vector<double> ExponentialBuckets(double start, double factor, int count);
// Buckets `start`, `start+width`, ... (`count` of them). REQUIRES: width > 0.
std::vector<double> LinearBuckets(double start, double width, int count);

// Writes the samples of a collector at scrape time. Declare() a family, then Add() its samples;
// declaring a name again (in the same or another collector) continues that family. Invalid
// names, label arity mismatches and samples before any Declare() are dropped and logged.
// Thread safety: confined to the scrape that created it.
class Emitter {
 public:
  explicit Emitter(std::vector<internal::FamilySnapshot>* out) : out_(out) {}

  void Declare(std::string_view name, MetricType type, std::string_view help,
               absl::Span<const std::string_view> label_names = {});
  // A counter or gauge sample of the current family.
  void Add(LabelValues label_values, double value);
  // A histogram sample of the current family. `counts`: per bucket, NOT cumulative,
  // bounds.size() + 1 entries (the last is the +Inf bucket); `bounds` strictly increasing.
  void AddHistogram(LabelValues label_values, absl::Span<const double> bounds,
                    absl::Span<const uint64_t> counts, double sum);

  // Shorthands for a family with one unlabelled sample.
  void Gauge(std::string_view name, std::string_view help, double value);
  void Counter(std::string_view name, std::string_view help, double value);

 private:
  internal::FamilySnapshot* Current(size_t label_count);

  std::vector<internal::FamilySnapshot>* const out_;
  internal::FamilySnapshot* current_ = nullptr;
};

// Holds the families and collectors of the process and renders them.
// Thread safety: thread-safe. Collectors run on the scraping thread under the registry mutex:
// they must not call back into the Registry.
class Registry {
 public:
  using Collector = std::function<void(Emitter&)>;
  using CollectorId = uint64_t;

  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Registers a family (or returns the one already registered with the same name, type, help,
  // label names and buckets). Names: [a-zA-Z_:][a-zA-Z0-9_:]*, counters end in "_total";
  // label names: [a-zA-Z_][a-zA-Z0-9_]*, not "__*", unique, "le" not for histograms.
  // The returned pointer is owned by the registry and valid for its lifetime.
  CounterFamily* AddCounter(std::string_view name, std::string_view help,
                            absl::Span<const std::string_view> label_names = {});
  GaugeFamily* AddGauge(std::string_view name, std::string_view help,
                        absl::Span<const std::string_view> label_names = {});
  // `buckets`: upper bounds, strictly increasing, finite; +Inf is implicit.
  HistogramFamily* AddHistogram(std::string_view name, std::string_view help,
                                absl::Span<const double> buckets,
                                absl::Span<const std::string_view> label_names = {});

  // Adds a callback run at every Expose(). After RemoveCollector() returns, the callback is not
  // running and will not run again, so its owner may be destroyed.
  CollectorId AddCollector(Collector collect);
  void RemoveCollector(CollectorId id);

  // The text exposition format 0.0.4: families sorted by name, each with # HELP and # TYPE,
  // series sorted by label values; families without series are omitted.
  std::string Expose() const;

  // OK, or the first registration error.
  absl::Status status() const;

 private:
  // Returns the existing family if compatible, nullptr if `name` is free, or a detached family
  // (after recording the error) if it conflicts.
  template <typename F>
  F* Register(std::unique_ptr<F> family, const std::vector<double>* buckets)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RecordError(absl::Status error) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<internal::FamilyBase>, std::less<>> families_
      ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<double>, std::less<>> histogram_buckets_
      ABSL_GUARDED_BY(mu_);
  // Families whose registration failed: kept alive for their callers, never exposed.
  std::vector<std::unique_ptr<internal::FamilyBase>> detached_ ABSL_GUARDED_BY(mu_);
  std::map<CollectorId, Collector> collectors_ ABSL_GUARDED_BY(mu_);
  CollectorId next_collector_id_ ABSL_GUARDED_BY(mu_) = 1;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
};

// Renders snapshots (merged by name, sorted) in the text format 0.0.4. Exposed for tests and for
// Registry::Expose().
std::string RenderText(std::vector<internal::FamilySnapshot> families);

// A double as the text format wants it: shortest round-trip form, "+Inf", "-Inf", "NaN".
std::string FormatValue(double v);

}  // namespace wirescan::metrics
