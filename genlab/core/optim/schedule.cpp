#include "genlab/core/optim/schedule.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>

namespace genlab {

const std::vector<std::string>& lr_schedule_kinds() {
  static const std::vector<std::string> kinds{"constant", "linear_warmup", "cosine"};
  return kinds;
}

LrSchedule::LrSchedule(const LrScheduleOptions& options) : options_(options) {
  if (options.kind == "constant") kind_ = Kind::constant;
  else if (options.kind == "linear_warmup") kind_ = Kind::linear_warmup;
  else if (options.kind == "cosine") kind_ = Kind::cosine;
  else
    throw std::invalid_argument("unknown lr schedule '" + options.kind +
                                "' (allowed: constant, linear_warmup, cosine)");
  if (options.warmup_steps < 0) throw std::invalid_argument("lr schedule: warmup_steps must be >= 0");
  if (kind_ == Kind::cosine && options.total_steps <= options.warmup_steps)
    throw std::invalid_argument("lr schedule: cosine needs total_steps > warmup_steps");
}

float LrSchedule::lr_at(int64_t step) const {
  const float peak = options_.lr;
  if (kind_ != Kind::constant && step < options_.warmup_steps)
    return peak * static_cast<float>(step + 1) / static_cast<float>(options_.warmup_steps);
  if (kind_ != Kind::cosine) return peak;
  const double progress =
      std::min(1.0, static_cast<double>(step - options_.warmup_steps) /
                        static_cast<double>(options_.total_steps - options_.warmup_steps));
  return static_cast<float>(options_.min_lr +
                            0.5 * (peak - options_.min_lr) * (1.0 + std::cos(M_PI * progress)));
}

}  // namespace genlab
