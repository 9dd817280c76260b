#include "genlab/experiments/cli/smoke.h"

#include <algorithm>

#include "genlab/experiments/data/datasets.h"
#include "genlab/experiments/families/family.h"
#include "genlab/experiments/families/registry.h"

namespace genlab {

std::vector<std::string> smoke_overrides(const ExperimentConfig& c) {
  // A run of its own: runs/<name>_smoke/..., never the real experiment's `latest`.
  std::vector<std::string> out{"name=" + c.name + "_smoke", "output.path=\"\""};
  const FamilySpec& family = find_family(c.model.family);
  if (family.trainable) {
    // 30 steps: a /train row every 5, an evaluation and a checkpoint half-way, then the
    // final ones; steps replace an epoch count (a note says so).
    constexpr int64_t steps = 30;
    out.insert(out.end(), {"train.steps=" + std::to_string(steps), "train.log_every=5",
                           "train.eval_every=" + std::to_string(steps / 2),
                           "train.checkpoint_every=" + std::to_string(steps / 2)});
    cap_override(out, "train.batch_size", c.train.batch_size, 32);
    if (c.train.warmup_steps > 0) cap_override(out, "train.warmup_steps", c.train.warmup_steps, 5);
  }
  // Images: each sample is a network pass of its own; 64 still give every image metric.
  cap_override(out, "evaluate.samples", c.evaluate.samples, is_image_data(c.data.name) ? 64 : 200);
  cap_override(out, "evaluate.eval_steps", c.evaluate.eval_steps, 6);
  cap_override(out, "evaluate.likelihood_samples", c.evaluate.likelihood_samples, 8);
  if (const auto& smoke = find_dataset(c.data.name).smoke; smoke) {
    const auto more = smoke(c.data.options);
    out.insert(out.end(), more.begin(), more.end());
  }
  if (family.smoke) {
    const auto more = family.smoke(c.model.options);
    out.insert(out.end(), more.begin(), more.end());
  }
  out.insert(out.end(), c.smoke.begin(), c.smoke.end());
  return out;
}

}  // namespace genlab
