#include "genlab/experiments/eval/variants_table.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <set>
#include <sstream>

#include "genlab/experiments/experiment_config.h"
#include "genlab/experiments/eval/metric_comparison.h"

namespace genlab {
namespace {

std::string fmt(double v) {
  std::ostringstream s;
  if (std::isnan(v)) return "-";
  if (v != 0 && (std::abs(v) < 1e-3 || std::abs(v) >= 1e6))
    s << std::scientific << std::setprecision(3) << v;
  else
    s << std::setprecision(4) << v;
  return s.str();
}

std::string full_precision(double v) {
  std::ostringstream s;
  s << std::setprecision(9) << v;
  return s.str();
}

}  // namespace

std::string format_number(double v) {
  return fmt(v);
}

namespace {

// A cell as RFC 4180 wants it: quoted when it holds a comma, a quote or a line break,
// with quotes doubled.
std::string csv_cell(const std::string& v) {
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string q = "\"";
  for (const char c : v) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

// The run's identity and results beside its variants: family, data, process, seed, the
// config keys that differ between the compared runs, and (runs without variants: the
// autoregressive and VAE families) the headline numbers of /test.
std::vector<SummaryRow> run_rows(const std::string& path,
                                 const std::map<std::string, std::string>& config,
                                 const std::vector<std::string>& swept) {
  const RunFile file = RunFile::open(path);
  std::vector<SummaryRow> rows = file.read_summary();
  if (rows.empty()) rows.push_back({});
  std::map<std::string, double> test;
  for (const auto& [col, values] : file.read_columns("test"))
    if (!values.empty()) test[col] = values.back();
  auto value = [&](const std::string& key) {
    const auto it = config.find(key);
    return it == config.end() ? std::string("-") : it->second;
  };
  for (auto& row : rows) {
    row.text["run"] = path;
    row.text["family"] = value("model.family");
    row.text["data"] = value("data.name");
    row.text["seed"] = value("seed");
    if (config.count("model.process")) row.text["process"] = config.at("model.process");
    for (const auto& key : swept) row.text[key] = value(key);
    for (const auto& [col, v] : test) row.numbers[col] = v;
  }
  return rows;
}

}  // namespace

std::string compare_runs(const std::vector<std::string>& paths, bool csv, const std::string& sort, bool over_seeds) {
  std::vector<std::map<std::string, std::string>> configs;
  for (const auto& p : paths) {
    const auto attrs = RunFile::open(p).attrs();
    const std::string yaml = RunFile::config_yaml(attrs, p);
    try {
      configs.push_back(flatten_config(yaml));
    } catch (const std::exception&) {
      throw std::runtime_error(p + ": its stored config_yaml is not readable YAML");
    }
  }
  // Swept: the keys (outputs and names aside) whose values differ between the runs.
  std::set<std::string> keys;
  for (const auto& c : configs)
    for (const auto& [k, v] : c) keys.insert(k);
  std::vector<std::string> swept;
  for (const auto& k : keys) {
    if (k.rfind("output.", 0) == 0 || k == "name" || k == "seed" || k == "model.family" ||
        k == "data.name" || k == "model.process")
      continue;
    std::set<std::string> values;
    for (const auto& c : configs) values.insert(c.count(k) ? c.at(k) : "-");
    if (values.size() > 1) swept.push_back(k);
  }
  std::vector<SummaryRow> all;
  for (size_t i = 0; i < paths.size(); ++i)
    for (auto& row : run_rows(paths[i], configs[i], swept)) all.push_back(row);
  if (over_seeds) all = aggregate_over_seeds(all);
  return format_variants_table(all, csv, sort);
}

namespace {

// The rows sorted by a number column (stably; rows without it last).
void sort_rows(std::vector<SummaryRow>& rows, const std::string& sort) {
  std::set<std::string> numeric;
  for (const auto& r : rows)
    for (const auto& [k, v] : r.numbers) numeric.insert(k);
  if (!numeric.count(sort)) {
    std::string names;
    for (const auto& n : numeric) names += (names.empty() ? "" : ", ") + n;
    throw std::invalid_argument("--sort: no number column '" + sort + "' (columns: " + names + ")");
  }
  std::stable_sort(rows.begin(), rows.end(), [&](const SummaryRow& a, const SummaryRow& b) {
    const auto ia = a.numbers.find(sort), ib = b.numbers.find(sort);
    const double va = ia == a.numbers.end() ? INFINITY : ia->second;
    const double vb = ib == b.numbers.end() ? INFINITY : ib->second;
    return va < vb;
  });
}

// Text columns: the run's identity, the swept keys (any others), then the variant's.
std::vector<std::string> text_columns(const std::set<std::string>& present) {
  std::vector<std::string> cols;
  for (const char* k : {"family", "data", "process", "seed"})
    if (present.count(k)) cols.push_back(k);
  for (const auto& k : present)
    if (k != "run" && k != "name" && k != "sampler" && k != "grid" && k != "family" && k != "data" &&
        k != "process" && k != "seed")
      cols.push_back(k);
  for (const char* k : {"name", "sampler", "grid"}) cols.push_back(k);
  return cols;
}

// Number columns: known ones first, in a reading order, any others after by name. A
// metric's interval: in CSV its own two columns after the metric; in text folded into the
// metric's cell as "value ±half-width" (the intervals are symmetric).
std::vector<std::string> number_columns(const std::vector<SummaryRow>& rows, bool csv) {
  std::vector<std::string> cols;
  std::set<std::string> present;
  for (const auto& r : rows)
    for (const auto& [k, v] : r.numbers) present.insert(k);
  for (const char* k : {"seeds", "steps", "guidance", "nfe", "nfe_budget", "wall_s", "fd", "class_accuracy",
                        "sliced_wasserstein", "mmd", "energy", "exact_log_density", "rk45_distance"})
    if (present.erase(k)) cols.push_back(k);
  cols.insert(cols.end(), present.begin(), present.end());
  const auto has = [&](const std::string& k) { return std::find(cols.begin(), cols.end(), k) != cols.end(); };
  std::vector<std::string> ordered;
  for (const auto& k : cols) {
    const std::string metric = interval_metric(k);
    if (!metric.empty() && has(metric)) continue;  // a bound: placed after its metric, or folded
    ordered.push_back(k);
    if (csv)
      for (const char* tail : {"_lo", "_hi"})
        if (has(k + tail)) ordered.push_back(k + tail);
  }
  return ordered;
}

// Columns padded to their widest cell, two spaces apart.
std::string aligned(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& cells) {
  std::vector<size_t> width(header.size());
  for (size_t i = 0; i < header.size(); ++i) {
    width[i] = header[i].size();
    for (const auto& line : cells) width[i] = std::max(width[i], line[i].size());
  }
  std::ostringstream out;
  auto put = [&](const std::vector<std::string>& line) {
    for (size_t i = 0; i < line.size(); ++i) out << (i ? "  " : "") << std::left << std::setw(width[i]) << line[i];
    out << "\n";
  };
  put(header);
  for (const auto& line : cells) put(line);
  return out.str();
}

// Under the table: which variants each metric tells apart from its best, by name, or by
// "run: name" when the rows come from several runs.
std::string verdict_lines(const std::vector<SummaryRow>& rows, const std::string& run_label) {
  const auto verdicts = compare_to_best(rows);
  if (verdicts.empty()) return "";
  std::set<std::string> runs;
  for (const auto& r : rows) runs.insert(r.text.count("run") ? r.text.at("run") : run_label);
  std::vector<std::string> label;
  for (const auto& r : rows) {
    const std::string name = r.text.count("name") ? r.text.at("name") : "-";
    label.push_back(runs.size() < 2 ? name : (r.text.count("run") ? r.text.at("run") : run_label) + ": " + name);
  }
  std::string lines = "\n";
  lines += describe_verdicts(rows, verdicts, label);
  return lines;
}

}  // namespace

std::string format_variants_table(const std::vector<SummaryRow>& rows_in, bool csv,
                                  const std::string& sort, const std::string& run_label) {
  std::vector<SummaryRow> rows = rows_in;
  if (!sort.empty()) sort_rows(rows, sort);
  std::set<std::string> text_present;
  for (const auto& r : rows)
    for (const auto& [k, v] : r.text) text_present.insert(k);
  const std::vector<std::string> text_cols = text_columns(text_present), num_cols = number_columns(rows, csv);
  std::vector<std::string> header;
  if (!run_label.empty() || rows.empty() || rows[0].text.count("run")) header.push_back("run");
  header.insert(header.end(), text_cols.begin(), text_cols.end());
  header.insert(header.end(), num_cols.begin(), num_cols.end());
  std::vector<std::vector<std::string>> cells;
  for (const auto& r : rows) {
    std::vector<std::string> line;
    for (const auto& h : header) {
      if (r.text.count(h))
        line.push_back(r.text.at(h));
      else if (text_present.count(h))
        line.push_back(csv ? "" : "-");
      else if (h == "run")
        line.push_back(run_label);
      else if (r.numbers.count(h) && csv)
        line.push_back(std::isnan(r.numbers.at(h)) ? "" : full_precision(r.numbers.at(h)));
      else if (r.numbers.count(h)) {
        const double half = interval_half_width(r, h);
        line.push_back(fmt(r.numbers.at(h)) + (std::isfinite(half) ? " ±" + fmt(half) : std::string()));
      } else
        line.push_back(csv ? "" : "-");
    }
    cells.push_back(line);
  }
  if (!csv) return aligned(header, cells) + verdict_lines(rows, run_label);
  std::ostringstream out;
  for (size_t i = 0; i < header.size(); ++i) out << (i ? "," : "") << csv_cell(header[i]);
  out << "\r\n";
  for (const auto& line : cells) {
    for (size_t i = 0; i < line.size(); ++i) out << (i ? "," : "") << csv_cell(line[i]);
    out << "\r\n";
  }
  return out.str();
}

}  // namespace genlab
