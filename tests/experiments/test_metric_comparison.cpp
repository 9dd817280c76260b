// Reading intervals: which variants a metric tells apart from its best, runs pooled over
// seeds, and the intervals end to end: in the run file, `compare` (with and without
// --over-seeds), and the report.
#include <catch2/catch.hpp>
#include <cmath>
#include <sstream>

#include "genlab/experiments/experiment_config.h"
#include "genlab/experiments/eval/metric_comparison.h"
#include "genlab/experiments/report/report.h"
#include "genlab/experiments/cli/runner.h"
#include "genlab/experiments/eval/variants_table.h"
#include "tests/experiments/temp_paths.h"

using namespace genlab;
using genlab::testing::temp_path;
using Catch::Matchers::Contains;

namespace {

SummaryRow row(const std::string& name, const std::string& seed, double value, double half) {
  SummaryRow r;
  r.text = {{"name", name}, {"sampler", name}, {"grid", "edm"}, {"seed", seed}, {"run", name + seed}};
  r.numbers = {{"nfe", 10}, {"mmd", value}, {"mmd_lo", value - half}, {"mmd_hi", value + half}};
  return r;
}

}  // namespace

TEST_CASE("compare_to_best: the best, the tied within the difference's interval, the apart",
          "[metrics][intervals]") {
  // Best a (1.0 +- 0.3); b at 1.4 +- 0.4: |0.4| <= 0.5 tied; c at 1.6 +- 0.4: 0.6 > 0.5 apart;
  // d has no interval and takes no part.
  std::vector<SummaryRow> rows{row("b", "0", 1.4, 0.4), row("a", "0", 1.0, 0.3), row("c", "0", 1.6, 0.4)};
  SummaryRow d = row("d", "0", 0.1, 0);
  d.numbers.erase("mmd_lo"), d.numbers.erase("mmd_hi");
  rows.push_back(d);
  const auto v = compare_to_best(rows);
  REQUIRE(v.size() == 1);
  CHECK(v[0].metric == "mmd");
  CHECK(v[0].best == 1);
  CHECK(v[0].tied == std::vector<size_t>{0});
  CHECK(v[0].apart == std::vector<size_t>{2});
  const std::string text = describe_verdicts(rows, v, {"b", "a", "c", "d"});
  CHECK(text == "mmd: best a (1 ±0.3); not distinguishable from it: b\n");
  // A larger class accuracy is better; a metric without a direction gets no verdict.
  CHECK(better_direction("class_accuracy") == 1);
  CHECK(better_direction("fd") == -1);
  CHECK(better_direction("exact_log_density") == 0);
  CHECK(better_direction("wall_s") == 0);
}

TEST_CASE("aggregate_over_seeds: the mean and its Student-t interval per variant", "[metrics][intervals]") {
  const std::vector<SummaryRow> rows{row("a", "0", 1.0, 0.1), row("b", "0", 5.0, 0.1), row("a", "1", 2.0, 0.1),
                                     row("b", "1", 5.0, 0.1), row("a", "2", 6.0, 0.1)};
  const auto pooled = aggregate_over_seeds(rows);
  REQUIRE(pooled.size() == 2);
  CHECK(pooled[0].text.at("name") == "a");
  CHECK(pooled[0].text.at("seed") == "0,1,2");
  CHECK(pooled[0].text.count("run") == 0);
  CHECK(pooled[0].numbers.at("seeds") == 3);
  CHECK(pooled[0].numbers.at("mmd") == Approx(3.0));
  // sd of {1, 2, 6} = sqrt(7); half = t(2) sqrt(7 / 3) = 4.303 * 1.5275.
  CHECK(interval_half_width(pooled[0], "mmd") == Approx(4.303 * std::sqrt(7.0 / 3.0)).epsilon(1e-9));
  // The same in every seed: no spread, no interval (the per-run ones are dropped).
  CHECK(pooled[1].numbers.at("mmd") == 5.0);
  CHECK(pooled[1].numbers.count("mmd_lo") == 0);
  CHECK(pooled[0].numbers.count("nfe_lo") == 0);
  CHECK(student_t95(1) == Approx(12.706));
  CHECK(student_t95(60) == Approx(2.0003).epsilon(1e-3));
  CHECK(student_t95(1000) == Approx(1.9623).epsilon(1e-3));
}

TEST_CASE("intervals end to end: run file, compare, compare --over-seeds, report", "[runner][intervals]") {
  const std::string cfg =
      "name: iv\ndata: {name: mixture/eight_gaussians}\nmodel: {family: analytic}\nevaluate: {samples: 300}\n"
      "samplers: [{sampler: euler, steps: 3}, {sampler: heun, steps: 20}, {sampler: euler_ancestral, steps: 20}]\n";
  std::ostringstream log;
  const std::string a = temp_path("iv0.h5"), b = temp_path("iv1.h5"), off = temp_path("iv_off.h5");
  run_experiment(parse_experiment_config(cfg, "iv.yaml", {"output.path=" + a}), log);
  run_experiment(parse_experiment_config(cfg, "iv.yaml", {"output.path=" + b, "seed=1"}), log);
  run_experiment(parse_experiment_config(cfg, "iv.yaml", {"output.path=" + off, "evaluate.bootstrap=0"}), log);
  const auto rows = RunFile::open(a).read_summary();
  REQUIRE(rows.size() == 3);
  for (const auto& r : rows)
    for (const char* m : {"sliced_wasserstein", "mmd", "energy", "exact_log_density"}) {
      INFO(r.text.at("name") << " " << m);
      CHECK(r.numbers.at(std::string(m) + "_lo") < r.numbers.at(m));
      CHECK(r.numbers.at(m) < r.numbers.at(std::string(m) + "_hi"));
    }
  // The SDE sampler's rk45_distance has no interval: it measures nothing to compare.
  // (A summary column missing from a row reads back as NaN.)
  CHECK(std::isfinite(rows[1].numbers.at("rk45_distance_lo")));
  CHECK(!(rows[2].numbers.count("rk45_distance_lo") && std::isfinite(rows[2].numbers.at("rk45_distance_lo"))));
  const auto without = RunFile::open(off).read_summary();
  for (const auto& [k, v] : without.at(0).numbers) CHECK_THAT(k, !Catch::Matchers::EndsWith("_lo"));
  // euler-3 is far off; heun-20 close: apart on the distance to the rk45 solution.
  const std::string table = compare_runs({a});
  CHECK_THAT(table, Contains(" ±"));
  CHECK_THAT(table, Contains("rk45_distance: best heun-20 ("));
  CHECK_THAT(table, Contains("every other is distinguishably worse"));
  CHECK_THAT(compare_runs({a}, true), Contains(",mmd,mmd_lo,mmd_hi,"));
  // Two seeds pooled: one row per variant, the mean of the two runs' values.
  const std::string pooled = compare_runs({a, b}, true, "", true);
  CHECK(std::count(pooled.begin(), pooled.end(), '\n') == 1 + 3);
  CHECK_THAT(pooled, Contains("\"0,1\",euler-3,"));
  const double mean = 0.5 * (rows[0].numbers.at("mmd") + RunFile::open(b).read_summary()[0].numbers.at("mmd"));
  std::ostringstream m;
  m.precision(9);
  m << "," << mean << ",";
  CHECK_THAT(pooled, Contains(m.str()));
  const std::string html = render_report({a, b});
  CHECK_THAT(html, Contains("<h2>Across seeds</h2>"));
  CHECK_THAT(html, Contains("class=\"error-bar\""));
  CHECK_THAT(html, Contains("&plusmn;"));
  CHECK_THAT(render_report({a, off}), !Contains("Across seeds"));  // they differ in more than the seed
}
