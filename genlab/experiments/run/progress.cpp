#include "genlab/experiments/run/progress.h"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace genlab {
namespace {

// "images" for a count of images; NFE and unit-less counts stay as they are.
std::string plural(const std::string& unit, double n) {
  return unit.empty() || unit == "NFE" || n == 1 ? unit : unit + "s";
}

}  // namespace

std::string format_duration(double s) {
  char buf[64];
  if (!std::isfinite(s) || s < 0) return "?";
  if (s < 60) {
    std::snprintf(buf, sizeof buf, s < 10 ? "%.1f s" : "%.0f s", s);
  } else if (s < 3600) {
    const long total = std::lround(s);
    std::snprintf(buf, sizeof buf, "%ld min %02ld s", total / 60, total % 60);
  } else {
    const long minutes = std::lround(s / 60);
    std::snprintf(buf, sizeof buf, "%ld h %02ld min", minutes / 60, minutes % 60);
  }
  return buf;
}

std::string format_rate(double per_second, const std::string& unit) {
  char buf[64];
  if (!std::isfinite(per_second) || per_second <= 0) return "? " + unit + "/s";
  if (per_second < 1.0) {
    const double s = 1.0 / per_second;
    std::snprintf(buf, sizeof buf, s < 10 ? "%.2f s/%s" : "%.1f s/%s", s, unit.c_str());
  } else {
    std::snprintf(buf, sizeof buf, per_second < 10 ? "%.2f %ss/s" : "%.0f %ss/s", per_second,
                  unit.c_str());
  }
  std::string r = buf;
  // "NFEs/s" reads badly: plural only for words.
  if (unit == "NFE") {
    const auto at = r.find("NFEs/s");
    if (at != std::string::npos) r.replace(at, 6, "NFE/s");
  }
  return r;
}

Progress::Progress(std::ostream& out, std::string what, double total, std::string unit)
    : out_(out), what_(std::move(what)), unit_(std::move(unit)), total_(total),
      start_(Clock::now()), last_(start_) {}

Progress& Progress::every(double seconds, double first_after) {
  every_ = seconds, first_after_ = first_after;
  return *this;
}

double Progress::seconds() const {
  return std::chrono::duration<double>(Clock::now() - start_).count();
}

void Progress::update(double done, double fraction) {
  const auto now = Clock::now();
  const double since_last = std::chrono::duration<double>(now - last_).count();
  if (since_last < (printed_ ? every_ : first_after_)) return;
  const double elapsed = seconds();
  std::ostringstream line;
  line << what_ << ": ";
  if (total_ > 0) {
    line << static_cast<long long>(done) << "/" << static_cast<long long>(total_) << " "
         << plural(unit_, total_);
    fraction = done / total_;
  } else {
    line << static_cast<long long>(done) << " " << plural(unit_, done);
  }
  if (fraction >= 0) line << " (" << std::lround(100.0 * std::min(fraction, 1.0)) << "%)";
  line << "  " << format_rate(done / elapsed, unit_);
  if (fraction > 0.01) line << "  ETA " << format_duration(elapsed * (1.0 - fraction) / fraction);
  out_ << line.str() << "\n" << std::flush;
  last_ = now;
  printed_ = true;
}

void Progress::finish(const std::string& summary, bool always) {
  if (!printed_ && !always) return;
  out_ << what_ << ": " << summary << "\n" << std::flush;
}

}  // namespace genlab
