// Charts as inline SVG text for the HTML report (no scripts, no network): line charts on
// linear or log axes with a legend, and 2-D scatter plots of samples.
//
//   std::string svg = line_chart_svg({{"heun", {35, 99}, {1.6e-2, 1.5e-3}}},
//                                    {.title = "edm", .x_label = "NFE", .y_label = "rk45 distance"});
#pragma once

#include <string>
#include <vector>

namespace genlab {

struct ChartSeries {
  std::string label;
  std::vector<double> x, y;  // points in order; non-finite (or <= 0 on a log axis) skipped
  // Overlays of several runs: a colour fixed by the caller (an index into the palette, so
  // a sampler keeps its colour across charts; -1: by position) and a marker shape per run
  // (0 circle, 1 square, 2 triangle, 3 diamond, 4 cross, ...). Series of one colour and
  // label share one legend entry.
  int color = -1;
  int marker = 0;
  // Error bars: each point's interval [lo, hi] (empty: none; a non-finite bound draws no
  // bar; on a log axis a bound <= 0 ends at the axis).
  std::vector<double> lo{}, hi{};
};

// A horizontal line across the chart (a reference level, e.g. the training set's FD).
struct ChartLevel {
  std::string label;
  double y;
};

struct ChartOptions {
  std::string title{}, x_label{}, y_label{};
  bool log_x = true, log_y = true;
  int width = 740, height = 380;  // the legend takes the right 330 px, 13 px a line
  // The legend of the marker shapes (what each marker stands for, e.g. a run's seed).
  std::vector<std::string> marker_labels{};
  std::vector<ChartLevel> levels{};
};

std::string line_chart_svg(const std::vector<ChartSeries>& series, const ChartOptions& o);

// Points [n, 2] row-major in the box [x_lo, x_hi] x [y_lo, y_hi] (points outside dropped).
std::string scatter_svg(const std::vector<float>& xy, double x_lo, double x_hi, double y_lo,
                        double y_hi, int size, const std::string& title);

// &, <, >, " escaped for HTML text and attributes.
std::string html_escape(const std::string& s);

}  // namespace genlab
