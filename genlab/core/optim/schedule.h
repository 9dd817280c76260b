// Learning-rate schedules as pure functions of the step (0-based), so resuming at a
// step gives the same rate without any saved schedule state.
//
//   LrSchedule sched({.kind = "cosine", .lr = 1e-3f, .warmup_steps = 100, .total_steps = 5000});
//   opt.set_lr(sched.lr_at(step));
#pragma once

#include <string>
#include <vector>

namespace genlab {

struct LrScheduleOptions {
  std::string kind = "constant";  // constant | linear_warmup | cosine
  float lr = 1e-3f;               // peak rate
  int64_t warmup_steps = 0;       // linear ramp from lr / warmup_steps to lr
  int64_t total_steps = 0;        // cosine: decays to min_lr at this step
  float min_lr = 0.0f;
};

// The kinds LrSchedule accepts: constant, linear_warmup, cosine.
const std::vector<std::string>& lr_schedule_kinds();

class LrSchedule {
 public:
  explicit LrSchedule(const LrScheduleOptions& options);
  float lr_at(int64_t step) const;

 private:
  enum class Kind { constant, linear_warmup, cosine };
  LrScheduleOptions options_;
  Kind kind_;
};

}  // namespace genlab
