#include "genlab/experiments/eval/metric_comparison.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "genlab/experiments/eval/variants_table.h"

namespace genlab {
namespace {

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

bool is_interval_column(const std::string& k) { return !interval_metric(k).empty(); }

double number(const SummaryRow& r, const std::string& k) {
  const auto it = r.numbers.find(k);
  return it == r.numbers.end() ? std::nan("") : it->second;
}

}  // namespace

std::string interval_metric(const std::string& column) {
  if (column.size() <= 3 || !(ends_with(column, "_lo") || ends_with(column, "_hi"))) return "";
  return column.substr(0, column.size() - 3);
}

double interval_half_width(const SummaryRow& row, const std::string& metric) {
  return 0.5 * (number(row, metric + "_hi") - number(row, metric + "_lo"));
}

int better_direction(const std::string& metric) {
  static const std::set<std::string> larger{"class_accuracy"};
  static const std::set<std::string> smaller{"sliced_wasserstein", "mmd", "energy", "fd", "rk45_distance"};
  return larger.count(metric) ? 1 : smaller.count(metric) ? -1 : 0;
}

std::vector<MetricVerdict> compare_to_best(const std::vector<SummaryRow>& rows) {
  std::vector<MetricVerdict> out;
  for (const char* metric : {"fd", "class_accuracy", "sliced_wasserstein", "mmd", "energy", "rk45_distance"}) {
    std::vector<size_t> with;
    for (size_t i = 0; i < rows.size(); ++i)
      if (std::isfinite(number(rows[i], metric)) && std::isfinite(interval_half_width(rows[i], metric)))
        with.push_back(i);
    if (with.size() < 2) continue;
    const int dir = better_direction(metric);
    MetricVerdict v{metric, with[0], {}, {}};
    for (const size_t i : with)
      if (dir * (number(rows[i], metric) - number(rows[v.best], metric)) > 0) v.best = i;
    const double b = number(rows[v.best], metric), hb = interval_half_width(rows[v.best], metric);
    for (const size_t i : with) {
      if (i == v.best) continue;
      const double h = interval_half_width(rows[i], metric);
      (std::abs(number(rows[i], metric) - b) <= std::sqrt(h * h + hb * hb) ? v.tied : v.apart).push_back(i);
    }
    out.push_back(v);
  }
  return out;
}

std::string describe_verdicts(const std::vector<SummaryRow>& rows, const std::vector<MetricVerdict>& verdicts,
                              const std::vector<std::string>& label) {
  std::ostringstream s;
  auto names = [&](const std::vector<size_t>& idx) {
    std::string out;
    for (const size_t i : idx) out += (out.empty() ? "" : ", ") + label[i];
    return out;
  };
  for (const auto& v : verdicts) {
    s << v.metric << ": best " << label[v.best] << " (" << format_number(number(rows[v.best], v.metric)) << " ±"
      << format_number(interval_half_width(rows[v.best], v.metric)) << ")";
    if (!v.tied.empty()) s << "; not distinguishable from it: " << names(v.tied);
    if (v.apart.empty())
      s << "; none is distinguishably worse";
    else if (v.tied.empty())
      s << "; every other is distinguishably worse";
    s << "\n";
  }
  return s.str();
}

double student_t95(int df) {
  static const double table[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                 2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                                 2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
  if (df < 1) return std::nan("");
  if (df <= 30) return table[df - 1];
  // Past the table, the Cornish-Fisher expansion around the normal quantile (error < 1e-3).
  const double z = 1.959964, d = static_cast<double>(df);
  return z + (z * z * z + z) / (4 * d) + (5 * std::pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * d * d);
}

std::vector<SummaryRow> aggregate_over_seeds(const std::vector<SummaryRow>& rows) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<const SummaryRow*>> groups;
  for (const auto& r : rows) {
    std::string key;
    for (const auto& [k, v] : r.text)
      if (k != "run" && k != "seed") key += k + "=" + v + "\n";
    if (!groups.count(key)) order.push_back(key);
    groups[key].push_back(&r);
  }
  std::vector<SummaryRow> out;
  for (const auto& key : order) {
    const auto& members = groups.at(key);
    SummaryRow pooled;
    pooled.text = members[0]->text;
    pooled.text.erase("run");
    std::string seeds;
    for (const auto* m : members)
      seeds += (seeds.empty() ? "" : ",") + (m->text.count("seed") ? m->text.at("seed") : std::string("-"));
    pooled.text["seed"] = seeds;
    std::set<std::string> columns;
    for (const auto* m : members)
      for (const auto& [k, v] : m->numbers)
        if (!is_interval_column(k)) columns.insert(k);
    const int k = static_cast<int>(members.size());
    pooled.numbers["seeds"] = k;
    for (const auto& c : columns) {
      std::vector<double> values;
      for (const auto* m : members)
        if (std::isfinite(number(*m, c))) values.push_back(number(*m, c));
      if (values.empty()) {
        pooled.numbers[c] = std::nan("");
        continue;
      }
      double mean = 0;
      for (double x : values) mean += x / static_cast<double>(values.size());
      pooled.numbers[c] = mean;
      if (values.size() < 2 || c == "steps" || c == "seeds") continue;
      double var = 0;
      for (double x : values) var += (x - mean) * (x - mean) / static_cast<double>(values.size() - 1);
      if (var == 0) continue;  // the same in every seed (NFE of a fixed-step sampler)
      const double half = student_t95(static_cast<int>(values.size()) - 1) * std::sqrt(var / values.size());
      pooled.numbers[c + "_lo"] = mean - half, pooled.numbers[c + "_hi"] = mean + half;
    }
    out.push_back(pooled);
  }
  return out;
}

}  // namespace genlab
