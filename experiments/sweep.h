// Sweeps (`genlab run CONFIG --multirun a=1,2 b=x,y`): the Cartesian product of the
// comma-separated override values, one run file per point (<output stem>_<i>.h5) and a
// tab-separated index (<output stem>_index.tsv: file name, then the point's overrides)
// that python's load_runs(index) reads.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace genlab {

// ["a=1,2", "b=x"] -> [["a=1", "b=x"], ["a=2", "b=x"]] (the last key varies fastest).
std::vector<std::vector<std::string>> expand_sweep(const std::vector<std::string>& overrides);

// Runs every point; returns the index file's path. Each point's config is validated
// before any runs, so a bad value fails the sweep up front.
std::string run_sweep(const std::string& config_path, const std::vector<std::string>& overrides,
                      std::ostream& out);

}  // namespace genlab
