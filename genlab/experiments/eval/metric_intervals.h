// Uncertainty of the variants table's metrics, as intervals around each estimate
// (docs/MATH.md 9):
//   - MMD^2 and energy distance are two-sample U-statistics: the two-sample jackknife
//     (delete one row of either set) gives their variance from the kernel's row sums, in
//     one pass over the pairs, like the estimate itself;
//   - sliced Wasserstein (quantiles: the jackknife fails there), FD, class accuracy and
//     the per-sample means (exact log-density, rk45 distance) by the bootstrap: a
//     replicate redraws the rows of each set with replacement (a count per row: how
//     often it drew the row) and recomputes the metric.
// The interval is the estimate plus and minus z times the standard error. The reference
// data of vector runs is a random draw too and is redrawn with the samples; a fixed
// reference (the test set of the image metrics) is not.
//
//   BootstrapOptions o{.replicates = 200, .confidence = 0.95, .seed = 7};
//   auto row = distribution_metrics_with_intervals(samples, reference, o);  // mmd, mmd_lo, mmd_hi, ...
//   Interval e = row_statistic_interval(n, estimate, [&](const RowCounts& c) { ... }, o, salt);
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "genlab/core/tensor.h"

namespace genlab {

struct Interval {
  double lo = 0, hi = 0;
};

struct BootstrapOptions {
  int replicates = 200;     // 0: no intervals
  double confidence = 0.95;  // two-sided
  uint64_t seed = 0;         // the redraws: the same seed, the same replicates
};

// How often one replicate drew each of n rows (the counts sum to n).
using RowCounts = std::vector<int32_t>;

// `replicates` redraws of n rows, from a stream fixed by (seed, salt): the sets of one
// call with different salts are independent.
std::vector<RowCounts> bootstrap_counts(int64_t n, const BootstrapOptions& o, uint64_t salt);

// The interval of an estimate from its replicates: the estimate plus and minus z times
// the replicates' standard deviation (z of the confidence; docs/MATH.md 9 says why this
// rather than the replicates' quantiles).
Interval interval_from_replicates(double estimate, const std::vector<double>& replicates,
                                  double confidence);

// distribution_metrics (variants.h) of samples [n, D] against the reference [m, D] --
// sliced Wasserstein, MMD^2 (median-heuristic bandwidth) and energy distance, the values
// of metrics.h (to rounding: 1e-12) -- each with its interval as <metric>_lo and <metric>_hi. The
// estimates alone when o.replicates < 2 (intervals off) or a set has fewer than 3 rows.
std::map<std::string, double> distribution_metrics_with_intervals(const Tensor& samples, const Tensor& reference,
                                                                  const BootstrapOptions& o);

// The parts, for checks. Delete-one values of MMD^2 ("mmd") and energy distance
// ("energy"): without_sample[i] is the statistic without row i of the samples.
struct DeleteOne {
  std::vector<double> without_sample, without_reference;
};
std::map<std::string, DeleteOne> u_statistic_delete_one(const Tensor& samples, const Tensor& reference);

// Sliced W2 (128 directions, seed 0: sliced_wasserstein's defaults) of the sets redrawn
// by each pair of counts.
std::vector<double> sliced_wasserstein_replicates(const Tensor& samples, const Tensor& reference,
                                                  const std::vector<RowCounts>& sample_counts,
                                                  const std::vector<RowCounts>& reference_counts);

// The interval of a statistic of n rows given as a function of the counts (a mean:
// sum_i c_i v_i / n). `estimate`: its value at counts of one.
Interval row_statistic_interval(int64_t n, double estimate,
                                const std::function<double(const RowCounts&)>& statistic,
                                const BootstrapOptions& o, uint64_t salt);

}  // namespace genlab
