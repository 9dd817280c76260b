// Reading the variants table's intervals: which variants a metric tells apart from the
// best one, and a sweep's runs that differ only in their seed pooled into one row each
// (the mean and its interval over seeds). What `genlab run`, `compare` and `report` say
// under their tables.
//
//   for (const auto& v : compare_to_best(rows)) ...   // v.metric, v.best, v.tied, v.apart
//   auto pooled = aggregate_over_seeds(rows);         // one row per (everything but seed)
#pragma once

#include <string>
#include <vector>

#include "genlab/experiments/run/run_file.h"

namespace genlab {

// The metric whose interval bound a column is ("mmd" for "mmd_lo" and "mmd_hi"), or "".
std::string interval_metric(const std::string& column);

// The interval's half-width of a row's metric (<metric>_hi - <metric>_lo) / 2; NaN when
// the row has none.
double interval_half_width(const SummaryRow& row, const std::string& metric);

// +1 when a larger value of the metric is better (class_accuracy), -1 when a smaller one
// is (distances: sliced_wasserstein, mmd, energy, fd, rk45_distance), 0 when neither:
// exact_log_density is best near the data's own mean log-density (minus its entropy), not
// at its largest, which a sampler collapsing onto the modes would reach.
int better_direction(const std::string& metric);

// For each metric with intervals and a known direction, in table order: the best row,
// the rows not distinguishable from it (|a - b| <= sqrt(h_a^2 + h_b^2), the interval of
// the difference of two independent estimates; conservative for variants that share
// their noise, whose errors go together) and the rows that are. Rows without the metric
// take no part. Metrics with fewer than two such rows are left out.
struct MetricVerdict {
  std::string metric;
  size_t best = 0;
  std::vector<size_t> tied, apart;  // row indices, best excluded
};
std::vector<MetricVerdict> compare_to_best(const std::vector<SummaryRow>& rows);

// The verdicts as lines under a table, rows named by `label` (name, or run: name).
std::string describe_verdicts(const std::vector<SummaryRow>& rows, const std::vector<MetricVerdict>& verdicts,
                              const std::vector<std::string>& label);

// Rows that agree on every text column but `run` and `seed` pooled into one: each number
// column the mean over the seeds, with <metric>_lo/_hi the mean's 95% Student-t interval
// (sd / sqrt(k) times t at k - 1 degrees of freedom), a `seeds` column k and `seed` the
// seeds' list. Per-run intervals (_lo/_hi) are replaced. Groups keep first-seen order.
std::vector<SummaryRow> aggregate_over_seeds(const std::vector<SummaryRow>& rows);

// The two-sided 95% quantile of Student's t at df degrees of freedom (df >= 1).
double student_t95(int df);

}  // namespace genlab
