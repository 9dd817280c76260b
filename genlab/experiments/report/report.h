// `genlab report RUN.h5 [RUN.h5 ...]`: one self-contained HTML page (inline SVG charts and
// PNG pictures as data: URIs; no scripts, no network) that a researcher can send to a
// colleague: for each run, its error against NFE per sampler (one chart per run, titled
// with its process), the variants table, the samples of every variant, the training and
// evaluation curves, and the resolved config.
//
//   std::ofstream("report.html") << render_report({"runs/a.h5", "runs/b.h5"});
#pragma once

#include <string>
#include <vector>

namespace genlab {

// Throws std::runtime_error naming the file for one that is not a readable run file.
std::string render_report(const std::vector<std::string>& run_paths);

// Writes the report to `output` (whole, by rename: never half a page). Refuses an output
// that is one of the runs (by identity, not name), and an existing file that is not a
// report genlab wrote unless `overwrite`. Returns the page's size in bytes.
size_t write_report(const std::vector<std::string>& run_paths, const std::string& output, bool overwrite);

}  // namespace genlab
