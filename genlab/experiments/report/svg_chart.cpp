#include "genlab/experiments/report/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

namespace genlab {
namespace {

// Matplotlib's tab10: distinguishable and familiar to the notebook side.
const char* kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// Plain numbers as a reader writes them (0.001, 200, 5000); powers of ten only far out.
std::string tick_label(double v) {
  char buf[32];
  if (v != 0 && (std::abs(v) >= 1e6 || std::abs(v) < 1e-4))
    std::snprintf(buf, sizeof buf, "%.0e", v);
  else
    std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// A marker of shape `kind` at (x, y), filled with `color`.
std::string marker_svg(int kind, double x, double y, const std::string& color) {
  std::ostringstream s;
  const double r = 3.2;
  switch (kind % 6) {
    case 0:
      s << "<circle cx=\"" << num(x) << "\" cy=\"" << num(y) << "\" r=\"2.8\" fill=\"" << color << "\"";
      break;
    case 1:
      s << "<rect x=\"" << num(x - r) << "\" y=\"" << num(y - r) << "\" width=\"" << num(2 * r)
        << "\" height=\"" << num(2 * r) << "\" fill=\"" << color << "\"";
      break;
    case 2:
      s << "<polygon points=\"" << num(x) << "," << num(y - r - 0.8) << " " << num(x - r - 0.4) << ","
        << num(y + r) << " " << num(x + r + 0.4) << "," << num(y + r) << "\" fill=\"" << color << "\"";
      break;
    case 3:
      s << "<polygon points=\"" << num(x) << "," << num(y - r - 0.8) << " " << num(x + r + 0.8) << ","
        << num(y) << " " << num(x) << "," << num(y + r + 0.8) << " " << num(x - r - 0.8) << "," << num(y)
        << "\" fill=\"" << color << "\"";
      break;
    case 4:
      s << "<path d=\"M" << num(x - r) << "," << num(y - r) << "L" << num(x + r) << "," << num(y + r) << "M"
        << num(x - r) << "," << num(y + r) << "L" << num(x + r) << "," << num(y - r)
        << "\" stroke=\"" << color << "\" stroke-width=\"1.8\"";
      break;
    default:
      s << "<path d=\"M" << num(x - r) << "," << num(y) << "L" << num(x + r) << "," << num(y) << "M"
        << num(x) << "," << num(y - r) << "L" << num(x) << "," << num(y + r) << "\" stroke=\"" << color
        << "\" stroke-width=\"1.8\"";
  }
  return s.str();
}

struct Axis {
  bool log;
  double lo, hi;  // data range (in log10 when log)
  double map(double v, double a, double b) const {
    const double u = log ? std::log10(v) : v;
    return a + (u - lo) / (hi - lo) * (b - a);
  }
  bool usable(double v) const { return std::isfinite(v) && (!log || v > 0); }
  // Tick values: decades (plus 2 and 5 within short ranges) on log axes, 1-2-5 steps on
  // linear ones.
  std::vector<double> ticks() const {
    std::vector<double> out;
    if (log) {
      const std::vector<double> mantissas = hi - lo < 0.5   ? std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9}
                                            : hi - lo < 1.5 ? std::vector<double>{1, 2, 5}
                                                            : std::vector<double>{1};
      for (int e = static_cast<int>(std::floor(lo)); e <= static_cast<int>(std::ceil(hi)); ++e)
        for (double m : mantissas) {
          const double v = m * std::pow(10.0, e), u = std::log10(v);
          if (u >= lo - 1e-9 && u <= hi + 1e-9) out.push_back(v);
        }
      return out;
    }
    const double raw = (hi - lo) / 5, mag = std::pow(10.0, std::floor(std::log10(raw)));
    const double step = raw / mag < 2 ? 2 * mag : raw / mag < 5 ? 5 * mag : 10 * mag;
    for (double v = std::ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step)
      out.push_back(std::abs(v) < 1e-12 * step ? 0.0 : v);
    return out;
  }
};

Axis make_axis(const std::vector<ChartSeries>& series, bool x, bool log) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  Axis a{log, 0, 1};
  for (const auto& s : series)
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      std::vector<double> values{x ? s.x[i] : s.y[i]};
      // The error bars count in the y range where drawn.
      if (!x && a.usable(s.y[i]) && i < s.lo.size() && i < s.hi.size()) values.push_back(s.lo[i]), values.push_back(s.hi[i]);
      for (const double v : values) {
        if (!a.usable(v)) continue;
        const double u = log ? std::log10(v) : v;
        lo = std::min(lo, u), hi = std::max(hi, u);
      }
    }
  if (!std::isfinite(lo)) return {log, 0, 1};
  // A nearly flat series still gets a readable span with ticks: 0.3 decades on a log
  // axis, 2% of its level on a linear one.
  const double center = 0.5 * (lo + hi);
  const double min_span = log ? 0.3 : std::max(0.02 * std::abs(center), 1e-12);
  if (hi - lo < min_span) lo = center - min_span / 2, hi = center + min_span / 2;
  const double pad = (hi - lo) * 0.05;
  return {log, lo - pad, hi + pad};
}

}  // namespace

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

// The plot area of a line chart, its two axes and its frame.
struct Plot {
  double x0, x1, y0, y1;
  Axis ax, ay;
  bool usable(double x, double y) const { return ax.usable(x) && ay.usable(y); }
};

// Grid lines with tick labels, the frame, the axis titles and the reference levels.
void draw_axes(std::ostringstream& s, const Plot& p, const ChartOptions& o) {
  for (double v : p.ax.ticks()) {
    const double px = p.ax.map(v, p.x0, p.x1);
    s << "<line x1=\"" << num(px) << "\" y1=\"" << num(p.y1) << "\" x2=\"" << num(px) << "\" y2=\""
      << num(p.y0) << "\" stroke=\"#e5e5e5\"/>\n<text x=\"" << num(px) << "\" y=\"" << num(p.y0 + 14)
      << "\" text-anchor=\"middle\">" << tick_label(v) << "</text>\n";
  }
  for (double v : p.ay.ticks()) {
    const double py = p.ay.map(v, p.y0, p.y1);
    s << "<line x1=\"" << num(p.x0) << "\" y1=\"" << num(py) << "\" x2=\"" << num(p.x1) << "\" y2=\""
      << num(py) << "\" stroke=\"#e5e5e5\"/>\n<text x=\"" << num(p.x0 - 4) << "\" y=\""
      << num(py + 4) << "\" text-anchor=\"end\">" << tick_label(v) << "</text>\n";
  }
  s << "<rect x=\"" << num(p.x0) << "\" y=\"" << num(p.y1) << "\" width=\"" << num(p.x1 - p.x0)
    << "\" height=\"" << num(p.y0 - p.y1) << "\" fill=\"none\" stroke=\"#444\"/>\n";
  s << "<text x=\"" << num((p.x0 + p.x1) / 2) << "\" y=\"" << num(o.height - 8)
    << "\" text-anchor=\"middle\">" << html_escape(o.x_label) << (o.log_x ? " (log)" : "") << "</text>\n";
  s << "<text transform=\"translate(14," << num((p.y0 + p.y1) / 2) << ") rotate(-90)\" text-anchor=\"middle\">"
    << html_escape(o.y_label) << (o.log_y ? " (log)" : "") << "</text>\n";
  // Reference levels: dashed grey lines, labelled at their right end.
  for (const auto& l : o.levels) {
    if (!p.ay.usable(l.y)) continue;
    const double py = p.ay.map(l.y, p.y0, p.y1);
    s << "<line x1=\"" << num(p.x0) << "\" y1=\"" << num(py) << "\" x2=\"" << num(p.x1) << "\" y2=\"" << num(py)
      << "\" stroke=\"#888\" stroke-dasharray=\"6,4\"/>\n<text x=\"" << num(p.x1 - 4) << "\" y=\""
      << num(py - 4) << "\" text-anchor=\"end\" fill=\"#555\" font-size=\"10\">" << html_escape(l.label)
      << " " << tick_label(l.y) << "</text>\n";
  }
}

// One series: its line, error bars where it has an interval, and markers with tooltips.
void draw_series(std::ostringstream& s, const Plot& p, const ChartSeries& sr, const std::string& color,
                 const std::string& dash, const ChartOptions& o) {
  std::string points;
  for (size_t i = 0; i < sr.x.size() && i < sr.y.size(); ++i)
    if (p.usable(sr.x[i], sr.y[i]))
      points += num(p.ax.map(sr.x[i], p.x0, p.x1)) + "," + num(p.ay.map(sr.y[i], p.y0, p.y1)) + " ";
  s << "<polyline class=\"series\" data-label=\"" << html_escape(sr.label) << "\" points=\"" << points
    << "\" fill=\"none\" stroke=\"" << color << "\" stroke-width=\"1.6\"" << dash << "/>\n";
  for (size_t i = 0; i < sr.x.size() && i < sr.y.size() && i < sr.lo.size() && i < sr.hi.size(); ++i) {
    if (!p.usable(sr.x[i], sr.y[i]) || !std::isfinite(sr.lo[i]) || !std::isfinite(sr.hi[i])) continue;
    const double bottom_value = p.ay.log ? std::pow(10.0, p.ay.lo) : p.ay.lo;
    const double px = p.ax.map(sr.x[i], p.x0, p.x1);
    const double plo = p.ay.map(p.ay.usable(sr.lo[i]) ? std::max(sr.lo[i], bottom_value) : bottom_value, p.y0, p.y1);
    const double phi = p.ay.usable(sr.hi[i]) ? p.ay.map(sr.hi[i], p.y0, p.y1) : plo;
    s << "<path class=\"error-bar\" d=\"M" << num(px) << "," << num(plo) << "V" << num(phi) << "M" << num(px - 3)
      << "," << num(plo) << "h6M" << num(px - 3) << "," << num(phi) << "h6\" stroke=\"" << color
      << "\" stroke-width=\"1\" opacity=\"0.7\"/>\n";
  }
  const std::string tip = sr.label + (o.marker_labels.size() > static_cast<size_t>(sr.marker)
                                          ? " (" + o.marker_labels[sr.marker] + ")" : "");
  for (size_t i = 0; i < sr.x.size() && i < sr.y.size(); ++i)
    if (p.usable(sr.x[i], sr.y[i]))
      s << marker_svg(sr.marker, p.ax.map(sr.x[i], p.x0, p.x1), p.ay.map(sr.y[i], p.y0, p.y1), color) << "><title>"
        << html_escape(tip) << ": NFE " << tick_label(sr.x[i]) << ", " << sr.y[i] << "</title></"
        << (sr.marker % 6 == 0 ? "circle" : sr.marker % 6 == 1 ? "rect" : sr.marker % 6 <= 3 ? "polygon" : "path")
        << ">\n";
}

}  // namespace

std::string line_chart_svg(const std::vector<ChartSeries>& series, const ChartOptions& o) {
  const double left = 64, right = 330, top = 28, bottom = 44;
  std::vector<ChartSeries> with_levels = series;  // the levels count in the y range
  for (const auto& l : o.levels) with_levels.push_back({l.label, {std::nan("")}, {l.y}});
  const Plot p{left, o.width - right, o.height - bottom, top, make_axis(series, true, o.log_x),
               make_axis(with_levels, false, o.log_y)};
  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << o.width << "\" height=\"" << o.height
    << "\" font-family=\"sans-serif\" font-size=\"11\">\n";
  s << "<rect x=\"0\" y=\"0\" width=\"" << o.width << "\" height=\"" << o.height << "\" fill=\"white\"/>\n";
  s << "<text x=\"8\" y=\"16\" font-size=\"13\">" << html_escape(o.title) << "</text>\n";
  draw_axes(s, p, o);
  std::vector<std::pair<std::string, std::string>> legend;  // (label, colour), first seen first
  for (size_t k = 0; k < series.size(); ++k) {
    const auto& sr = series[k];
    const std::string color = kPalette[(sr.color >= 0 ? static_cast<size_t>(sr.color) : k) % 10];
    const bool second_round = (sr.color >= 0 ? static_cast<size_t>(sr.color) : k) >= 10;
    const std::string dash = second_round ? " stroke-dasharray=\"5,3\"" : "";
    bool any = false;
    for (size_t i = 0; i < sr.x.size() && i < sr.y.size(); ++i) any = any || p.usable(sr.x[i], sr.y[i]);
    if (!any) continue;
    draw_series(s, p, sr, color, dash, o);
    if (std::find(legend.begin(), legend.end(), std::pair{sr.label, color}) != legend.end()) continue;
    legend.push_back({sr.label, color});
    const double ly = top + 6 + 13 * static_cast<double>(legend.size() - 1);
    s << "<line x1=\"" << num(p.x1 + 10) << "\" y1=\"" << num(ly) << "\" x2=\"" << num(p.x1 + 26)
      << "\" y2=\"" << num(ly) << "\" stroke=\"" << color << "\" stroke-width=\"2\"" << dash
      << "/>\n<text x=\"" << num(p.x1 + 30) << "\" y=\"" << num(ly + 4) << "\" font-size=\"10\">"
      << html_escape(sr.label.size() > 52 ? sr.label.substr(0, 50) + "..." : sr.label) << "<title>"
      << html_escape(sr.label) << "</title></text>\n";
  }
  // The markers' legend below the colours': one shape per run.
  for (size_t m = 0; m < o.marker_labels.size(); ++m) {
    const double ly = top + 6 + 13 * static_cast<double>(legend.size() + 1 + m);
    const std::string& label = o.marker_labels[m];
    s << marker_svg(static_cast<int>(m), p.x1 + 18, ly, "#444") << "/>\n<text x=\"" << num(p.x1 + 30)
      << "\" y=\"" << num(ly + 4) << "\" font-size=\"10\">"
      << html_escape(label.size() > 52 ? label.substr(0, 50) + "..." : label) << "</text>\n";
  }
  s << "</svg>\n";
  return s.str();
}

std::string scatter_svg(const std::vector<float>& xy, double x_lo, double x_hi, double y_lo,
                        double y_hi, int size, const std::string& title) {
  const double pad = 4, top = 18, inner = size - 2 * pad;
  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << size << "\" height=\"" << size + top
    << "\" font-family=\"sans-serif\" font-size=\"11\">\n<rect x=\"0\" y=\"0\" width=\"" << size
    << "\" height=\"" << size + top << "\" fill=\"white\"/>\n<text x=\"" << size / 2
    << "\" y=\"13\" text-anchor=\"middle\">" << html_escape(title) << "</text>\n<rect x=\"" << num(pad)
    << "\" y=\"" << num(top + pad) << "\" width=\"" << num(inner) << "\" height=\"" << num(inner)
    << "\" fill=\"none\" stroke=\"#bbb\"/>\n<g fill=\"#1f77b4\" fill-opacity=\"0.45\">\n";
  for (size_t i = 0; i + 1 < xy.size(); i += 2) {
    const double u = (xy[i] - x_lo) / (x_hi - x_lo), v = (xy[i + 1] - y_lo) / (y_hi - y_lo);
    if (!(u >= 0 && u <= 1 && v >= 0 && v <= 1)) continue;
    s << "<circle cx=\"" << num(pad + u * inner) << "\" cy=\"" << num(top + pad + (1 - v) * inner)
      << "\" r=\"1.1\"/>";
    if (i % 40 == 38) s << "\n";
  }
  s << "\n</g>\n</svg>\n";
  return s.str();
}

}  // namespace genlab
