#include "experiments/variants_table.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <set>
#include <sstream>

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

std::string compare_runs(const std::vector<std::string>& paths, bool csv, const std::string& sort) {
  std::vector<SummaryRow> all;
  for (const auto& p : paths)
    for (auto row : RunFile::open(p).read_summary()) {
      row.text["run"] = p;
      all.push_back(row);
    }
  return format_variants_table(all, csv, sort);
}

std::string format_variants_table(const std::vector<SummaryRow>& rows_in, bool csv,
                                  const std::string& sort, const std::string& run_label) {
  std::vector<SummaryRow> rows = rows_in;
  if (!sort.empty())
    std::stable_sort(rows.begin(), rows.end(), [&](const SummaryRow& a, const SummaryRow& b) {
      const auto ia = a.numbers.find(sort), ib = b.numbers.find(sort);
      const double va = ia == a.numbers.end() ? INFINITY : ia->second;
      const double vb = ib == b.numbers.end() ? INFINITY : ib->second;
      return va < vb;
    });
  std::vector<std::string> text_cols{"name", "sampler", "grid"};
  // Known columns first, in a reading order; any others after, by name.
  std::vector<std::string> num_cols;
  std::set<std::string> present;
  for (const auto& r : rows)
    for (const auto& [k, v] : r.numbers) present.insert(k);
  for (const char* k : {"steps", "nfe", "wall_s", "sliced_wasserstein", "mmd", "energy",
                        "exact_log_density", "rk45_distance"})
    if (present.erase(k)) num_cols.push_back(k);
  num_cols.insert(num_cols.end(), present.begin(), present.end());
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
      else if (h == "run")
        line.push_back(run_label);
      else if (r.numbers.count(h))
        line.push_back(csv ? full_precision(r.numbers.at(h)) : fmt(r.numbers.at(h)));
      else
        line.push_back(csv ? "" : "-");
    }
    cells.push_back(line);
  }
  std::ostringstream out;
  if (csv) {
    for (size_t i = 0; i < header.size(); ++i) out << (i ? "," : "") << header[i];
    out << "\n";
    for (const auto& line : cells) {
      for (size_t i = 0; i < line.size(); ++i) out << (i ? "," : "") << line[i];
      out << "\n";
    }
    return out.str();
  }
  std::vector<size_t> width(header.size());
  for (size_t i = 0; i < header.size(); ++i) {
    width[i] = header[i].size();
    for (const auto& line : cells) width[i] = std::max(width[i], line[i].size());
  }
  for (size_t i = 0; i < header.size(); ++i)
    out << (i ? "  " : "") << std::left << std::setw(width[i]) << header[i];
  out << "\n";
  for (const auto& line : cells) {
    for (size_t i = 0; i < line.size(); ++i)
      out << (i ? "  " : "") << std::left << std::setw(width[i]) << line[i];
    out << "\n";
  }
  return out.str();
}

}  // namespace genlab
