// The variants table of one or more run files, as aligned text or CSV: what `genlab run`
// prints at the end and `genlab compare` prints across runs.
#pragma once

#include <string>
#include <vector>

#include "genlab/experiments/run/run_file.h"

namespace genlab {

// Rows in order (or sorted ascending by the number column `sort`); known columns first. A
// metric's interval (<metric>_lo, <metric>_hi) is its own two columns in CSV and
// "value ±half-width" in text, where lines under the table say which variants each
// metric tells apart from the best (metric_comparison.h).
std::string format_variants_table(const std::vector<SummaryRow>& rows, bool csv = false,
                                  const std::string& sort = "", const std::string& run_label = "");

// `genlab compare`: the variants of several run files in one table (a `run` column first);
// over_seeds: runs that differ only in their seed pooled, each variant one row with the
// mean and its interval over the seeds (aggregate_over_seeds).
std::string compare_runs(const std::vector<std::string>& paths, bool csv = false,
                         const std::string& sort = "", bool over_seeds = false);

// A number as the tables print it (4 significant digits, scientific when tiny or huge).
std::string format_number(double v);

}  // namespace genlab
