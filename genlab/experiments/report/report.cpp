#include "genlab/experiments/report/report.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "genlab/core/ops.h"
#include "genlab/experiments/experiment_config.h"
#include "genlab/experiments/eval/metric_comparison.h"
#include "genlab/experiments/report/png.h"
#include "genlab/experiments/report/svg_chart.h"
#include "genlab/experiments/run/run_file.h"
#include "genlab/experiments/eval/variants_table.h"
#include "genlab/samplers/sampler.h"

namespace genlab {
namespace {

const char* kStyle = R"(<style>
body { font-family: sans-serif; margin: 24px; color: #222; max-width: 1600px; }
h1 { font-size: 22px; } h2 { font-size: 18px; border-bottom: 1px solid #ccc; padding-bottom: 4px; margin-top: 36px; }
h3 { font-size: 15px; margin-top: 22px; }
table { border-collapse: collapse; font-size: 12px; }
td, th { border: 1px solid #ddd; padding: 3px 7px; text-align: right; }
th { background: #f3f3f3; } td.text { text-align: left; }
.row { display: flex; flex-wrap: wrap; gap: 14px; align-items: flex-start; }
figure { margin: 0; text-align: center; font-size: 12px; }
figure img { image-rendering: pixelated; border: 1px solid #ccc; }
pre { background: #f7f7f7; padding: 10px; font-size: 12px; overflow-x: auto; }
tr.reference td { color: #777; font-style: italic; }
summary { cursor: pointer; color: #1f5fa0; font-size: 12px; }
.meta { color: #555; font-size: 13px; }
.ci { color: #888; font-size: 11px; }
.verdicts { font-size: 12px; color: #333; }
</style>
)";

// Everything the report shows of one run file.
struct RunView {
  std::string path, name, process, family, status, created, resumed, commit, config_yaml;
  std::vector<SummaryRow> reference;  // image metrics' reference rows (training set, Gaussian)
  std::vector<SummaryRow> variants;
  std::map<std::string, std::map<std::string, std::string>> variant_attrs;
  std::map<std::string, std::vector<double>> train, eval;
  std::map<std::string, std::map<std::string, std::vector<double>>> results;  // test, likelihood
};

RunView load(const std::string& path) {
  RunView v;
  v.path = path;
  const RunFile f = RunFile::open(path);
  const auto attrs = f.attrs();
  auto attr = [&](const char* k) { return attrs.count(k) ? attrs.at(k) : std::string(); };
  v.name = attr("name"), v.status = attr("status"), v.created = attr("created_utc");
  v.resumed = attr("resumed_utc");
  v.commit = attr("git_commit"), v.config_yaml = RunFile::config_yaml(attrs, path);
  try {
    const auto flat = flatten_config(v.config_yaml);
    if (flat.count("model.process")) v.process = flat.at("model.process");
    if (flat.count("model.family")) v.family = flat.at("model.family");
  } catch (const std::exception&) {
    throw std::runtime_error("report: " + path + ": its stored config_yaml is not readable YAML");
  }
  if (f.exists("variants/summary")) {
    v.variants = f.read_summary();
    for (const auto& row : v.variants) {
      const std::string& name = row.text.at("name");
      if (f.exists("variants/" + name)) v.variant_attrs[name] = f.group_attrs("variants/" + name);
    }
  }
  if (f.exists("image_metrics/reference")) v.reference = f.read_table("image_metrics/reference");
  if (f.exists("train")) v.train = f.read_columns("train");
  if (f.exists("eval")) v.eval = f.read_columns("eval");
  for (const char* g : {"test", "likelihood"})
    if (f.exists(g)) v.results[g] = f.read_columns(g);
  return v;
}

double number(const SummaryRow& r, const std::string& k) {
  const auto it = r.numbers.find(k);
  return it == r.numbers.end() ? std::nan("") : it->second;
}

// "2.000000" (an attribute's std::to_string) as "2"; text as it is.
std::string short_value(const std::string& v) {
  char* end = nullptr;
  const double x = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0') return v;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

// Whether a variant's sampler draws noise: its distance to the ODE's rk45 solution then
// measures nothing (it samples the SDE). Unknown samplers (a newer genlab's) count as not.
bool stochastic_variant(const std::map<std::string, std::string>& attrs) {
  if (attrs.count("stochastic")) return attrs.at("stochastic") == "true";  // since 0.1's attr
  if (!attrs.count("sampler")) return false;
  const std::string& sampler = attrs.at("sampler");
  try {
    SamplerParams params;
    for (const auto& [k, v] : attrs)
      if (k.rfind("option.", 0) == 0) params.emplace(k.substr(7), v);
    return make_sampler(sampler, params)->stochastic();
  } catch (const std::exception&) {
    return false;
  }
}

// Variants that differ only in their step count form one line: the sampler, plus the
// settings that tell its lines apart (options, grid, precision, noise, guidance).
std::vector<ChartSeries> error_series(const RunView& run, const std::string& metric) {
  std::map<std::string, std::map<std::string, std::set<std::string>>> values;  // sampler -> key -> values
  for (const auto& [name, a] : run.variant_attrs)
    for (const auto& [k, val] : a) values[a.count("sampler") ? a.at("sampler") : name][k].insert(val);
  std::map<std::string, ChartSeries> lines;
  std::vector<std::string> order;
  for (const auto& row : run.variants) {
    const std::string& name = row.text.at("name");
    const auto it = run.variant_attrs.find(name);
    if (metric == "rk45_distance" && it != run.variant_attrs.end() && stochastic_variant(it->second)) continue;
    const std::string sampler = row.text.count("sampler") ? row.text.at("sampler") : name;
    std::string label = sampler;
    if (it != run.variant_attrs.end())
      for (const auto& [k, val] : it->second) {
        if (k == "steps" || k == "sampler") continue;
        if (values[sampler][k].size() > 1)
          label += " " + (k.rfind("option.", 0) == 0 ? k.substr(7) : k) + "=" + short_value(val);
      }
    if (!lines.count(label)) order.push_back(label), lines[label].label = label;
    lines[label].x.push_back(number(row, "nfe"));
    lines[label].y.push_back(number(row, metric));
    lines[label].lo.push_back(number(row, metric + "_lo"));
    lines[label].hi.push_back(number(row, metric + "_hi"));
  }
  std::vector<ChartSeries> out;
  for (const auto& label : order) {
    ChartSeries s = lines[label];
    // In NFE order, so each line reads left to right.
    std::vector<size_t> idx(s.x.size());
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return s.x[a] < s.x[b]; });
    ChartSeries sorted{s.label, {}, {}};
    for (size_t i : idx)
      sorted.x.push_back(s.x[i]), sorted.y.push_back(s.y[i]), sorted.lo.push_back(s.lo[i]), sorted.hi.push_back(s.hi[i]);
    out.push_back(sorted);
  }
  return out;
}

bool has_metric(const RunView& run, const std::string& metric) {
  for (const auto& r : run.variants)
    if (std::isfinite(number(r, metric))) return true;
  return false;
}

std::string metric_title(const std::string& m) {
  if (m == "rk45_distance") return "RMS distance to the rk45 solution (ODE samplers)";
  if (m == "sliced_wasserstein") return "sliced Wasserstein to data";
  if (m == "fd") return "Frechet distance (classifier features)";
  return m;
}

// What tells the runs of one report apart: the config keys whose values differ between
// them (the swept ones: "model.process=edm, seed=1"), else the run's name; and, for the
// charts' titles, those keys with all their values ("seed 0, 1").
struct RunLabels {
  std::vector<std::string> labels;
  std::string differing;
};

RunLabels run_labels(const std::vector<RunView>& runs) {
  std::vector<std::map<std::string, std::string>> flats;
  std::set<std::string> keys;
  for (const auto& r : runs) {
    flats.push_back(flatten_config(r.config_yaml));
    for (const auto& [k, v] : flats.back()) keys.insert(k);
  }
  std::vector<std::string> differing, variant_keys;
  for (const auto& k : keys) {
    if (k.rfind("output.", 0) == 0) continue;
    std::set<std::string> values;
    for (const auto& f : flats) values.insert(f.count(k) ? f.at(k) : "(absent)");
    if (values.size() > 1) (k.rfind("samplers[", 0) == 0 ? variant_keys : differing).push_back(k);
  }
  // A variant's key that differs follows from another key (the process's default grid)
  // unless nothing else differs.
  if (differing.empty()) differing = variant_keys;
  RunLabels out;
  for (size_t i = 0; i < runs.size(); ++i) {
    std::string label;
    for (const auto& k : differing)
      label += (label.empty() ? "" : ", ") + k + "=" + (flats[i].count(k) ? flats[i].at(k) : "-");
    out.labels.push_back(label.empty() ? runs[i].name : label);
  }
  for (const auto& k : differing) {
    if (k == "name") continue;  // the titles name the runs already
    std::string values;
    std::set<std::string> seen;
    for (const auto& f : flats)
      if (seen.insert(f.count(k) ? f.at(k) : "-").second)
        values += (values.empty() ? "" : ", ") + (f.count(k) ? f.at(k) : std::string("-"));
    out.differing += (out.differing.empty() ? "" : "; ") + k + " " + values;
  }
  return out;
}

// The report's charts of error against NFE, all runs overlaid, one chart per metric: the
// discretization error (rk45_distance, ODE samplers only) and the distance to data (FD
// for images, sliced W2 otherwise). A sampler has one colour in every chart, a run one
// marker; the titles say what the runs differ in (their seeds, processes, ...), and an
// image run's reference rows are dashed levels.
std::string overlay_charts(const std::vector<RunView>& runs) {
  const RunLabels labels = run_labels(runs);
  // A line's label (its sampler and the settings that set it apart) -> palette index, in
  // order of appearance, the same in every chart and for every run.
  std::map<std::string, int> color;
  for (const auto& r : runs)
    for (const std::string m : {"rk45_distance", "sliced_wasserstein", "fd"})
      for (const auto& s : error_series(r, m))
        if (!color.count(s.label)) color.emplace(s.label, static_cast<int>(color.size()));
  bool images = false;
  for (const auto& r : runs) images = images || has_metric(r, "fd");
  std::set<std::string> names;
  for (const auto& r : runs) names.insert(r.name);
  std::string what;
  for (const auto& n : names) what += (what.empty() ? "" : ", ") + n;
  if (!labels.differing.empty()) what += " (" + labels.differing + ")";
  std::string out;
  for (const std::string m : {"rk45_distance", images ? "fd" : "sliced_wasserstein"}) {
    std::vector<ChartSeries> series;
    std::vector<ChartLevel> levels;
    for (size_t i = 0; i < runs.size(); ++i) {
      if (!has_metric(runs[i], m)) continue;
      for (ChartSeries s : error_series(runs[i], m)) {
        s.color = color.at(s.label);
        s.marker = static_cast<int>(i);
        series.push_back(s);
      }
      for (const auto& ref : runs[i].reference)
        if (std::isfinite(number(ref, m)) && ref.text.count("name"))
          levels.push_back({ref.text.at("name") + (runs.size() > 1 ? " (" + labels.labels[i] + ")" : ""),
                            number(ref, m)});
    }
    if (series.empty()) continue;
    out += line_chart_svg(series, {.title = metric_title(m) + ": " + what,
                                   .x_label = "NFE",
                                   .y_label = m,
                                   .height = std::max<int>(380, 60 + 13 * static_cast<int>(color.size() + runs.size() + 2)),
                                   .marker_labels = runs.size() > 1 ? labels.labels : std::vector<std::string>{},
                                   .levels = levels});
  }
  return out;
}

// A table of variant rows (and grey reference rows after them): a metric's interval
// beside it as "±half-width" (its _lo/_hi columns not shown on their own), the best
// value of each metric with intervals in bold, and under the table which variants each
// metric cannot tell from the best (metric_comparison.h).
std::string rows_table(const std::vector<SummaryRow>& variants, const std::vector<SummaryRow>& reference,
                       const std::vector<std::string>& text_cols) {
  std::set<std::string> numeric;
  for (const auto& r : variants)
    for (const auto& [k, v] : r.numbers) numeric.insert(k);
  auto is_bound = [&](const std::string& c) { return numeric.count(interval_metric(c)) > 0; };
  const std::vector<std::string> first{"seeds", "steps", "nfe", "nfe_budget", "rk45_distance", "sliced_wasserstein", "mmd",
                                       "energy", "fd", "class_accuracy", "guidance", "wall_s"};
  std::vector<std::string> cols;
  for (const auto& c : first)
    if (numeric.count(c)) cols.push_back(c);
  for (const auto& c : numeric)
    if (std::find(cols.begin(), cols.end(), c) == cols.end() && !is_bound(c)) cols.push_back(c);
  const auto verdicts = compare_to_best(variants);
  std::map<std::string, size_t> best;
  for (const auto& v : verdicts) best[v.metric] = v.best;
  std::ostringstream s;
  s << "<table><tr>";
  for (const auto& c : text_cols) s << "<th>" << html_escape(c == "name" ? "variant" : c) << "</th>";
  for (const auto& c : cols) s << "<th>" << html_escape(c) << "</th>";
  s << "</tr>\n";
  // An image run's reference rows close the table, in grey: where a perfect model (the
  // training set) and a bad one (a pixel Gaussian) score.
  std::vector<SummaryRow> rows = variants;
  rows.insert(rows.end(), reference.begin(), reference.end());
  for (size_t i = 0; i < rows.size(); ++i) {
    const SummaryRow& r = rows[i];
    s << (i < variants.size() ? "<tr>" : "<tr class=\"reference\">");
    for (const auto& c : text_cols) s << "<td class=\"text\">" << html_escape(r.text.count(c) ? r.text.at(c) : "") << "</td>";
    for (const auto& c : cols) {
      const double v = number(r, c), half = interval_half_width(r, c);
      const bool bold = best.count(c) && best.at(c) == i;
      s << "<td>" << (bold ? "<b>" : "") << (std::isfinite(v) ? format_number(v) : "-") << (bold ? "</b>" : "");
      if (std::isfinite(half)) s << "<span class=\"ci\"> &plusmn;" << format_number(half) << "</span>";
      s << "</td>";
    }
    s << "</tr>\n";
  }
  s << "</table>\n";
  if (!verdicts.empty()) {
    std::vector<std::string> label;
    for (const auto& r : variants) label.push_back(r.text.count("name") ? r.text.at("name") : "-");
    s << "<p class=\"verdicts\">Each value &plusmn; its interval's half-width; bold: the best of a metric.<br>\n";
    std::istringstream lines(describe_verdicts(variants, verdicts, label));
    for (std::string line; std::getline(lines, line);) s << html_escape(line) << "<br>\n";
    s << "</p>\n";
  }
  return s.str();
}

std::string variants_table(const RunView& run) {
  return rows_table(run.variants, run.reference, {"name", "sampler", "grid"});
}

// Runs that differ only in their seed: each variant pooled over the seeds (the mean and
// its 95% Student-t interval), when the report has such runs.
std::string seeds_section(const std::vector<RunView>& runs, const RunLabels& labels) {
  if (runs.size() < 2 || labels.differing.rfind("seed ", 0) != 0 || labels.differing.find(';') != std::string::npos)
    return "";
  std::vector<SummaryRow> all;
  for (const auto& r : runs)
    for (SummaryRow row : r.variants) {
      row.text["run"] = r.path;
      const auto flat = flatten_config(r.config_yaml);
      row.text["seed"] = flat.count("seed") ? flat.at("seed") : "-";
      all.push_back(row);
    }
  if (all.empty()) return "";
  return "<h2>Across seeds</h2>\n<p class=\"meta\">" + std::to_string(runs.size()) +
         " runs that differ only in their seed: each variant's mean over the seeds, &plusmn; the half-width of "
         "its 95% Student-t interval.</p>\n" +
         rows_table(aggregate_over_seeds(all), {}, {"name", "sampler", "grid", "seed"});
}

// A variant's sample grid (10 images a row): its first rows, large enough to see each
// image, and the whole grid (up to 100 samples) one click away.
std::string grid_figure(const std::string& path, const std::string& name) {
  const Tensor g = read_hdf5_array(path, "variants/" + name + "/grid");
  const auto v = g.to_vector();
  std::vector<uint8_t> px(v.size());
  for (size_t i = 0; i < v.size(); ++i) px[i] = static_cast<uint8_t>(std::clamp(v[i], 0.0f, 255.0f));
  const int64_t height = g.size(0), width = g.size(1);
  // Images are square tiles, 10 a row: the tile side is width / 10 for one channel.
  const int64_t tile = std::max<int64_t>(1, width / 10), shown_rows = std::min<int64_t>(height, 3 * tile);
  const std::vector<uint8_t> top(px.begin(), px.begin() + shown_rows * width);
  std::string fig = "<figure><img alt=\"" + html_escape(name) + "\" src=\"data:image/png;base64," +
                    base64(encode_png_gray(top, shown_rows, width)) + "\" width=\"" +
                    std::to_string(width * 2) + "\"><figcaption>" + html_escape(name);
  if (shown_rows < height)
    fig += "<details><summary>the whole grid (" + std::to_string(height / tile) +
           " rows)</summary><img alt=\"" + html_escape(name) + " (all)\" src=\"data:image/png;base64," +
           base64(encode_png_gray(px, height, width)) + "\" width=\"" + std::to_string(width * 2) +
           "\"></details>";
  return fig + "</figcaption></figure>\n";
}

// Each variant's samples: its picture (image runs, /variants/<name>/grid) or a scatter of
// its first two coordinates, all on one box so the variants compare at a glance.
std::string samples_section(const RunView& run) {
  const RunFile f = RunFile::open(run.path);
  std::map<std::string, std::vector<float>> points;
  std::vector<float> xs, ys;
  std::string figures;
  for (const auto& row : run.variants) {
    const std::string& name = row.text.at("name");
    if (f.exists("variants/" + name + "/grid")) {
      figures += grid_figure(run.path, name);
      continue;
    }
    if (!f.exists("variants/" + name + "/samples")) continue;
    const Tensor x = f.read_samples(name);
    if (x.dim() != 2 || x.size(1) < 2) continue;
    const int64_t n = std::min<int64_t>(x.size(0), 1500);
    const auto v = slice(slice(x, 0, 0, n), 1, 0, 2).to_vector();
    points[name] = v;
    for (size_t i = 0; i + 1 < v.size(); i += 2) xs.push_back(v[i]), ys.push_back(v[i + 1]);
  }
  if (!xs.empty()) {
    // The box: the 0.5% and 99.5% quantiles of every variant's points, padded by 10%.
    auto range = [](std::vector<float> a) {
      std::sort(a.begin(), a.end());
      const double lo = a[static_cast<size_t>(0.005 * (a.size() - 1))],
                   hi = a[static_cast<size_t>(0.995 * (a.size() - 1))];
      const double pad = std::max(1e-6, 0.1 * (hi - lo));
      return std::pair{lo - pad, hi + pad};
    };
    const auto [x_lo, x_hi] = range(xs);
    const auto [y_lo, y_hi] = range(ys);
    for (const auto& row : run.variants) {
      const std::string& name = row.text.at("name");
      if (points.count(name))
        figures += "<figure>" + scatter_svg(points[name], x_lo, x_hi, y_lo, y_hi, 220, name) + "</figure>\n";
    }
  }
  return figures.empty() ? "" : "<h3>Samples</h3>\n<div class=\"row\">\n" + figures + "</div>\n";
}

// The last row of /test and /likelihood (held-out NLL, bits/dim, ELBO): the numbers of
// families without sampler variants.
std::string results_section(const RunView& run) {
  std::ostringstream s;
  for (const auto& [group, cols] : run.results) {
    s << "<h3>/" << html_escape(group) << "</h3>\n<table><tr>";
    for (const auto& [c, v] : cols) s << "<th>" << html_escape(c) << "</th>";
    s << "</tr>\n<tr>";
    for (const auto& [c, v] : cols) s << "<td>" << (v.empty() ? "-" : format_number(v.back())) << "</td>";
    s << "</tr></table>\n";
  }
  return s.str();
}

std::string curves_section(const RunView& run) {
  std::string out;
  auto chart = [&](const std::map<std::string, std::vector<double>>& cols, const std::string& col,
                   const std::string& title, bool log_y) {
    if (!cols.count("step") || !cols.count(col) || cols.at(col).empty()) return;
    out += line_chart_svg({{col, cols.at("step"), cols.at(col)}},
                          {.title = title, .x_label = "step", .y_label = col, .log_x = false, .log_y = log_y});
  };
  chart(run.train, "loss", run.name + ": training loss", false);
  // The periodic evaluation: one chart per metric (sliced W2, validation NLL, ...).
  for (const auto& [m, values] : run.eval)
    if (m != "step" && m != "mmd" && m != "energy")
      chart(run.eval, m, run.name + ": evaluation, " + m, m == "sliced_wasserstein");
  return out.empty() ? "" : "<h3>Training</h3>\n<div class=\"row\">\n" + out + "</div>\n";
}

// Pictures the non-diffusion families store under /samples ([n, H, W] in [0, 1]: samples,
// originals, reconstructions), 10 to a row.
std::string family_pictures(const RunView& run) {
  const RunFile f = RunFile::open(run.path);
  if (!f.exists("samples")) return "";
  std::string figures;
  for (const auto& [name, t] : f.read_tensors("samples")) {
    if (t.dim() != 3 || t.size(0) == 0) continue;
    const int64_t n = std::min<int64_t>(t.size(0), 100), h = t.size(1), w = t.size(2);
    const int64_t cols = std::min<int64_t>(n, 10), rows = (n + cols - 1) / cols;
    const auto v = t.to_vector();
    const float top = *std::max_element(v.begin(), v.end()) > 1.5f ? 255.0f : 1.0f;
    std::vector<uint8_t> px(static_cast<size_t>(rows * h * cols * w), 0);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x)
          px[((i / cols) * h + y) * cols * w + (i % cols) * w + x] = static_cast<uint8_t>(
              std::lround(std::clamp(v[(i * h + y) * w + x] / top, 0.0f, 1.0f) * 255.0f));
    figures += "<figure><img alt=\"" + html_escape(name) + "\" src=\"data:image/png;base64," +
               base64(encode_png_gray(px, rows * h, cols * w)) + "\" width=\"" +
               std::to_string(cols * w * 3) + "\"><figcaption>" + html_escape(name) + "</figcaption></figure>\n";
  }
  return figures.empty() ? "" : "<h3>Pictures</h3>\n<div class=\"row\">\n" + figures + "</div>\n";
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", std::gmtime(&t));
  return buf;
}

}  // namespace

std::string render_report(const std::vector<std::string>& run_paths) {
  if (run_paths.empty()) throw std::invalid_argument("report: no run files given");
  std::vector<RunView> runs;
  for (const auto& p : run_paths) runs.push_back(load(p));
  std::ostringstream html;
  html << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>genlab report: ";
  for (size_t i = 0; i < runs.size(); ++i) html << (i ? ", " : "") << html_escape(runs[i].name);
  html << "</title>\n" << kStyle << "</head>\n<body>\n<h1>genlab report</h1>\n<p class=\"meta\">"
       << runs.size() << " run" << (runs.size() > 1 ? "s" : "") << ", written " << utc_now() << "</p>\n";
  // The error-against-NFE charts of all runs overlaid, then each run in detail.
  const std::string overview = overlay_charts(runs);
  if (!overview.empty()) html << "<h2>Error against NFE</h2>\n<div class=\"row\">\n" << overview << "</div>\n";
  const RunLabels labels = run_labels(runs);
  html << seeds_section(runs, labels);
  for (size_t i = 0; i < runs.size(); ++i) {
    const RunView& r = runs[i];
    html << "<h2>" << html_escape(r.name)
         << (runs.size() > 1 && labels.labels[i] != r.name ? " (" + html_escape(labels.labels[i]) + ")" : "")
         << "</h2>\n<p class=\"meta\">" << html_escape(r.path)
         << " &middot; status " << html_escape(r.status) << " &middot; family " << html_escape(r.family);
    if (!r.process.empty()) html << " &middot; process " << html_escape(r.process);
    html << " &middot; created " << html_escape(r.created);
    if (!r.resumed.empty()) html << " &middot; <b>resumed</b> " << html_escape(r.resumed);
    html << " &middot; commit " << html_escape(r.commit) << "</p>\n";
    if (!r.variants.empty()) html << "<h3>Variants</h3>\n" << variants_table(r) << samples_section(r);
    html << results_section(r) << family_pictures(r) << curves_section(r);
    html << "<details><summary>Config</summary>\n<pre>" << html_escape(r.config_yaml) << "</pre>\n</details>\n";
  }
  html << "</body>\n</html>\n";
  return html.str();
}

namespace {

// Whether an existing file is a page genlab wrote (its title says so, near the top).
bool is_genlab_report(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string head(512, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  return head.find("<title>genlab report") != std::string::npos;
}

}  // namespace

size_t write_report(const std::vector<std::string>& run_paths, const std::string& output, bool overwrite) {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (const auto& run : run_paths)
    if (fs::exists(output, ec) && fs::equivalent(output, run, ec))
      throw std::runtime_error("report: -o " + output + " is the run file " + run +
                               " itself; nothing was written (choose another output, e.g. report.html)");
  if (fs::exists(output, ec) && !overwrite && !is_genlab_report(output))
    throw std::runtime_error("report: " + output + " exists and is not a report genlab wrote; nothing was "
                             "written (choose another output, or --overwrite to replace it)");
  const std::string html = render_report(run_paths);
  const std::string tmp = output + ".writing";
  {
    std::ofstream out(tmp, std::ios::binary);
    out << html;
    out.close();
    if (!out) {
      fs::remove(tmp, ec);
      throw std::runtime_error("report: cannot write " + output + " (is its folder there, writable, with room?)");
    }
  }
  if (std::rename(tmp.c_str(), output.c_str()) != 0) {
    fs::remove(tmp, ec);
    throw std::runtime_error("report: cannot write " + output);
  }
  return html.size();
}

}  // namespace genlab
