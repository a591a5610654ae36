#include "engine/metrics/registry.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/core/log.h"
#include "engine/core/strings.h"

namespace wirescan::metrics {
namespace {

using core::Sv;

bool IsMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool IsLabelName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

const char* TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter: return "counter";
    case MetricType::kGauge: return "gauge";
    case MetricType::kHistogram: return "histogram";
  }
  return "untyped";
}

absl::Status ValidateFamily(std::string_view name, MetricType type,
                            absl::Span<const std::string_view> label_names) {
  if (!IsMetricName(name)) {
    return absl::InvalidArgumentError(absl::StrCat("metric \"", Sv(name), "\": invalid name"));
  }
  if (type == MetricType::kCounter &&
      (name.size() < 6 || name.substr(name.size() - 6) != "_total")) {
    return absl::InvalidArgumentError(
        absl::StrCat("metric ", Sv(name), ": a counter's name ends in _total"));
  }
  absl::flat_hash_set<std::string_view> seen;
  for (std::string_view label : label_names) {
    if (!IsLabelName(label) || label.substr(0, 2) == "__") {
      return absl::InvalidArgumentError(
          absl::StrCat("metric ", Sv(name), ": invalid label name \"", Sv(label), "\""));
    }
    if (type == MetricType::kHistogram && label == "le") {
      return absl::InvalidArgumentError(
          absl::StrCat("metric ", Sv(name), ": label \"le\" is reserved for histograms"));
    }
    if (!seen.insert(label).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("metric ", Sv(name), ": duplicate label name \"", Sv(label), "\""));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateBuckets(std::string_view name, absl::Span<const double> bounds) {
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && !(bounds[i] > bounds[i - 1]))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "metric ", Sv(name), ": buckets must be finite and strictly increasing (bucket ", i,
          " is ", FormatValue(bounds[i]), ")"));
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> ToStrings(absl::Span<const std::string_view> in) {
  return std::vector<std::string>(in.begin(), in.end());
}

// Label values: backslash, double quote and line feed are escaped.
void AppendLabelValue(std::string* out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\': out->append("\\\\"); break;
      case '"': out->append("\\\""); break;
      case '\n': out->append("\\n"); break;
      default: out->push_back(c);
    }
  }
}

// HELP text: backslash and line feed are escaped (quotes are not).
void AppendHelp(std::string* out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      default: out->push_back(c);
    }
  }
}

// `name{a="x",b="y",le="0.5"}` (no braces without labels).
void AppendSeriesName(std::string* out, std::string_view name, std::string_view suffix,
                      const std::vector<std::string>& label_names,
                      const std::vector<std::string>& label_values, std::string_view le = {}) {
  out->append(name);
  out->append(suffix);
  if (label_names.empty() && le.empty()) return;
  out->push_back('{');
  bool first = true;
  for (size_t i = 0; i < label_names.size(); ++i) {
    if (!first) out->push_back(',');
    first = false;
    out->append(label_names[i]);
    out->append("=\"");
    AppendLabelValue(out, label_values[i]);
    out->push_back('"');
  }
  if (!le.empty()) {
    if (!first) out->push_back(',');
    out->append("le=\"");
    out->append(le);
    out->push_back('"');
  }
  out->push_back('}');
}

}  // namespace

namespace internal {

void FamilyBase::LogArityError(size_t got) const {
  core::LogError("metrics: ", name_, ": ", got, " label values for ", label_names_.size(),
                 " label names (", absl::StrJoin(label_names_, ","),
                 "); the child is not exposed");
}

}  // namespace internal

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Whole numbers (every counter, most gauges) as integers, like the Go client: "800000", not
  // the shortest form "8e+05". Below 1e15 the conversion is exact.
  if (v == std::trunc(v) && std::fabs(v) < 1e15) {
    return absl::StrCat(static_cast<int64_t>(v));
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  if (ec != std::errc()) return "NaN";  // cannot happen with 64 bytes
  return std::string(buf, end);
}

// --- Children --------------------------------------------------------------------------------

void Counter::Add(double v) {
  if (!(v >= 0)) return;  // also rejects NaN
  // Whole units go to the integer counter, so that a counter fed only whole amounts stays exact.
  if (v == std::floor(v) && v < 1e18) {
    Inc(static_cast<uint64_t>(v));
    return;
  }
  fraction_.fetch_add(v, std::memory_order_relaxed);
}

double Counter::Value() const {
  return static_cast<double>(count_.load(std::memory_order_relaxed)) +
         fraction_.load(std::memory_order_relaxed);
}

Histogram::Histogram(std::shared_ptr<const std::vector<double>> bounds)
    : bounds_(std::move(bounds)),
      counts_(std::make_unique<std::atomic<uint64_t>[]>(bounds_->size() + 1)) {}

void Histogram::Observe(double v) {
  // First bound >= v: the bucket whose "le" holds v. NaN goes to +Inf.
  size_t i = std::isnan(v) ? bounds_->size()
                           : static_cast<size_t>(std::lower_bound(bounds_->begin(),
                                                                  bounds_->end(), v) -
                                                 bounds_->begin());
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

uint64_t Histogram::Count() const {
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_->size(); ++i) {
    total += counts_[i].load(std::memory_order_relaxed);
  }
  return total;
}

void Histogram::AppendTo(internal::Series* s) const {
  s->bounds = *bounds_;
  s->buckets.resize(bounds_->size() + 1);
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_->size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    s->buckets[i] = cumulative;
  }
  s->sum = Sum();
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  std::vector<double> out;
  double v = start;
  for (int i = 0; i < count; ++i, v *= factor) out.push_back(v);
  return out;
}

std::vector<double> LinearBuckets(double start, double width, int count) {
  std::vector<double> out;
  for (int i = 0; i < count; ++i) out.push_back(start + width * i);
  return out;
}

// --- Emitter ---------------------------------------------------------------------------------

void Emitter::Declare(std::string_view name, MetricType type, std::string_view help,
                      absl::Span<const std::string_view> label_names) {
  absl::Status valid = ValidateFamily(name, type, label_names);
  if (!valid.ok()) {
    core::LogError("metrics: collector: ", valid.message());
    current_ = nullptr;
    return;
  }
  for (internal::FamilySnapshot& f : *out_) {
    if (f.name == name) {
      if (f.type != type || f.label_names != ToStrings(label_names)) {
        core::LogError("metrics: collector: ", Sv(name),
                       " declared twice with a different type or labels");
        current_ = nullptr;
        return;
      }
      current_ = &f;
      return;
    }
  }
  internal::FamilySnapshot& f = out_->emplace_back();
  f.name = std::string(name);
  f.help = std::string(help);
  f.type = type;
  f.label_names = ToStrings(label_names);
  current_ = &f;
}

internal::FamilySnapshot* Emitter::Current(size_t label_count) {
  if (current_ == nullptr) {
    core::LogError("metrics: collector: sample without a valid Declare()");
    return nullptr;
  }
  if (label_count != current_->label_names.size()) {
    core::LogError("metrics: collector: ", current_->name, ": ", label_count,
                   " label values for ", current_->label_names.size(), " label names");
    return nullptr;
  }
  return current_;
}

void Emitter::Add(LabelValues label_values, double value) {
  internal::FamilySnapshot* f = Current(label_values.size());
  if (f == nullptr) return;
  if (f->type == MetricType::kHistogram) {
    core::LogError("metrics: collector: ", f->name, ": Add() on a histogram");
    return;
  }
  internal::Series& s = f->series.emplace_back();
  s.label_values = ToStrings(label_values);
  s.value = value;
}

void Emitter::AddHistogram(LabelValues label_values, absl::Span<const double> bounds,
                           absl::Span<const uint64_t> counts, double sum) {
  internal::FamilySnapshot* f = Current(label_values.size());
  if (f == nullptr) return;
  if (f->type != MetricType::kHistogram || counts.size() != bounds.size() + 1 ||
      !ValidateBuckets(f->name, bounds).ok()) {
    core::LogError("metrics: collector: ", f->name, ": invalid histogram sample");
    return;
  }
  internal::Series& s = f->series.emplace_back();
  s.label_values = ToStrings(label_values);
  s.bounds.assign(bounds.begin(), bounds.end());
  uint64_t cumulative = 0;
  for (uint64_t c : counts) {
    cumulative += c;
    s.buckets.push_back(cumulative);
  }
  s.sum = sum;
}

void Emitter::Gauge(std::string_view name, std::string_view help, double value) {
  Declare(name, MetricType::kGauge, help);
  Add({}, value);
}

void Emitter::Counter(std::string_view name, std::string_view help, double value) {
  Declare(name, MetricType::kCounter, help);
  Add({}, value);
}

// --- Registry --------------------------------------------------------------------------------

void Registry::RecordError(absl::Status error) {
  core::LogError("metrics: ", error.message());
  if (status_.ok()) status_ = std::move(error);
}

template <typename F>
F* Registry::Register(std::unique_ptr<F> family, const std::vector<double>* buckets) {
  auto it = families_.find(family->name());
  if (it == families_.end()) {
    F* raw = family.get();
    if (buckets != nullptr) histogram_buckets_[family->name()] = *buckets;
    families_.emplace(family->name(), std::move(family));
    return raw;
  }
  auto* existing = dynamic_cast<F*>(it->second.get());
  bool same = existing != nullptr && existing->type() == family->type() &&
              existing->help() == family->help() &&
              existing->label_names() == family->label_names() &&
              (buckets == nullptr || histogram_buckets_[family->name()] == *buckets);
  if (same) return existing;
  RecordError(absl::AlreadyExistsError(absl::StrCat(
      "metric ", family->name(), ": registered twice with a different type, help or labels")));
  F* raw = family.get();
  detached_.push_back(std::move(family));
  return raw;
}

CounterFamily* Registry::AddCounter(std::string_view name, std::string_view help,
                                    absl::Span<const std::string_view> label_names) {
  auto family = std::make_unique<CounterFamily>(
      std::string(name), std::string(help), MetricType::kCounter, ToStrings(label_names),
      [] { return std::make_shared<Counter>(); });
  absl::MutexLock lock(&mu_);
  absl::Status valid = ValidateFamily(name, MetricType::kCounter, label_names);
  if (!valid.ok()) {
    RecordError(std::move(valid));
    CounterFamily* raw = family.get();
    detached_.push_back(std::move(family));
    return raw;
  }
  return Register(std::move(family), nullptr);
}

GaugeFamily* Registry::AddGauge(std::string_view name, std::string_view help,
                                absl::Span<const std::string_view> label_names) {
  auto family = std::make_unique<GaugeFamily>(std::string(name), std::string(help),
                                              MetricType::kGauge, ToStrings(label_names),
                                              [] { return std::make_shared<Gauge>(); });
  absl::MutexLock lock(&mu_);
  absl::Status valid = ValidateFamily(name, MetricType::kGauge, label_names);
  if (!valid.ok()) {
    RecordError(std::move(valid));
    GaugeFamily* raw = family.get();
    detached_.push_back(std::move(family));
    return raw;
  }
  return Register(std::move(family), nullptr);
}

HistogramFamily* Registry::AddHistogram(std::string_view name, std::string_view help,
                                        absl::Span<const double> buckets,
                                        absl::Span<const std::string_view> label_names) {
  absl::Status valid = ValidateFamily(name, MetricType::kHistogram, label_names);
  if (valid.ok()) valid = ValidateBuckets(name, buckets);
  // A detached family still needs usable buckets.
  auto bounds = std::make_shared<const std::vector<double>>(
      valid.ok() ? std::vector<double>(buckets.begin(), buckets.end()) : std::vector<double>{});
  auto family = std::make_unique<HistogramFamily>(
      std::string(name), std::string(help), MetricType::kHistogram, ToStrings(label_names),
      [bounds] { return std::make_shared<Histogram>(bounds); });
  absl::MutexLock lock(&mu_);
  if (!valid.ok()) {
    RecordError(std::move(valid));
    HistogramFamily* raw = family.get();
    detached_.push_back(std::move(family));
    return raw;
  }
  return Register(std::move(family), bounds.get());
}

Registry::CollectorId Registry::AddCollector(Collector collect) {
  absl::MutexLock lock(&mu_);
  CollectorId id = next_collector_id_++;
  collectors_.emplace(id, std::move(collect));
  return id;
}

void Registry::RemoveCollector(CollectorId id) {
  // Expose() runs collectors under mu_, so once we hold it no callback is running.
  absl::MutexLock lock(&mu_);
  collectors_.erase(id);
}

absl::Status Registry::status() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

std::string Registry::Expose() const {
  std::vector<internal::FamilySnapshot> snapshots;
  {
    absl::MutexLock lock(&mu_);
    snapshots.reserve(families_.size());
    for (const auto& [name, family] : families_) {
      internal::FamilySnapshot& s = snapshots.emplace_back();
      s.name = family->name();
      s.help = family->help();
      s.type = family->type();
      s.label_names = family->label_names();
      family->Snapshot(&s);
    }
    std::vector<internal::FamilySnapshot> collected;
    Emitter emitter(&collected);
    for (const auto& [id, collect] : collectors_) collect(emitter);
    for (internal::FamilySnapshot& f : collected) snapshots.push_back(std::move(f));
  }
  return RenderText(std::move(snapshots));
}

std::string RenderText(std::vector<internal::FamilySnapshot> families) {
  // Merge families of the same name (a registered family and a collector, or two collectors);
  // a later one that disagrees on type or labels is dropped.
  std::vector<internal::FamilySnapshot> merged;
  absl::flat_hash_map<std::string, size_t> index;
  for (internal::FamilySnapshot& f : families) {
    auto [it, inserted] = index.emplace(f.name, merged.size());
    if (inserted) {
      merged.push_back(std::move(f));
      continue;
    }
    internal::FamilySnapshot& into = merged[it->second];
    if (into.type != f.type || into.label_names != f.label_names) {
      core::LogError("metrics: ", f.name, ": two families of that name disagree; one dropped");
      continue;
    }
    for (internal::Series& s : f.series) into.series.push_back(std::move(s));
  }
  std::sort(merged.begin(), merged.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });

  std::string out;
  for (internal::FamilySnapshot& f : merged) {
    if (f.series.empty()) continue;
    std::stable_sort(f.series.begin(), f.series.end(), [](const auto& a, const auto& b) {
      return a.label_values < b.label_values;
    });
    out.append("# HELP ");
    out.append(f.name);
    out.push_back(' ');
    AppendHelp(&out, f.help);
    out.append("\n# TYPE ");
    out.append(f.name);
    out.push_back(' ');
    out.append(TypeName(f.type));
    out.push_back('\n');
    for (const internal::Series& s : f.series) {
      if (f.type != MetricType::kHistogram) {
        AppendSeriesName(&out, f.name, "", f.label_names, s.label_values);
        out.push_back(' ');
        out.append(FormatValue(s.value));
        out.push_back('\n');
        continue;
      }
      for (size_t i = 0; i < s.buckets.size(); ++i) {
        std::string le = i < s.bounds.size() ? FormatValue(s.bounds[i]) : "+Inf";
        AppendSeriesName(&out, f.name, "_bucket", f.label_names, s.label_values, le);
        out.push_back(' ');
        absl::StrAppend(&out, s.buckets[i], "\n");
      }
      AppendSeriesName(&out, f.name, "_sum", f.label_names, s.label_values);
      out.push_back(' ');
      out.append(FormatValue(s.sum));
      out.push_back('\n');
      AppendSeriesName(&out, f.name, "_count", f.label_names, s.label_values);
      absl::StrAppend(&out, " ", s.buckets.empty() ? 0 : s.buckets.back(), "\n");
    }
  }
  return out;
}

}  // namespace wirescan::metrics
