// Progress lines for the long phases of a run (training, variants, the rk45 reference, the
// likelihood, IWAE, the estimator study, the image metrics), as a person reads them in a
// terminal, a pipe or run.log: one line as soon as the phase starts to take time, then at
// most one every few seconds, each with what is done of what, the rate and an ETA; a slow
// unit of work is shown as seconds per unit ("3.2 s/step"), a fast one per second.
// Lines end in '\n' and are flushed, so a pipe (`genlab run ... | tee log`) shows them
// as they happen.
//
//   Progress p(out, "sampling heun-18", 36, "NFE");
//   for (...) p.update(done);          // prints when due
//   p.finish("36 NFE in 4.1 s");       // "sampling heun-18: 36 NFE in 4.1 s" (if it printed before)
#pragma once

#include <chrono>
#include <functional>
#include <ostream>
#include <string>

namespace genlab {

// "4.1 s", "3 min 20 s", "2 h 05 min".
std::string format_duration(double seconds);
// "312 steps/s" or "3.2 s/step" (below one unit per second).
std::string format_rate(double units_per_second, const std::string& unit);

class Progress {
 public:
  using Clock = std::chrono::steady_clock;
  // total <= 0: unknown (lines then show the count and the rate, and `fraction` when given).
  Progress(std::ostream& out, std::string what, double total, std::string unit);
  // Seconds between lines after the first (default 5; the first comes after `first_after`
  // seconds of work, default 2, so phases shorter than that print nothing).
  Progress& every(double seconds, double first_after);

  // done units of the total; fraction in [0, 1] when the total is unknown but the
  // position is (an adaptive solver's way through sigma), else < 0. Prints when due.
  void update(double done, double fraction = -1.0);
  // The phase's last line, printed only when a progress line was printed before it or
  // `always` (so short phases stay quiet).
  void finish(const std::string& summary, bool always = false);
  double seconds() const;
  bool printed() const { return printed_; }

 private:
  std::ostream& out_;
  std::string what_, unit_;
  double total_;
  double every_ = 5.0, first_after_ = 2.0;
  Clock::time_point start_, last_;
  bool printed_ = false;
};

// A progress callback for library code (models/, samplers/) that knows nothing of the
// console: done and total units (total <= 0: unknown).
using ProgressFn = std::function<void(double done, double total)>;

}  // namespace genlab
