// The `model:` and `train:` sections as plain structs: what a family is given of the
// experiment (genlab/experiments/families/family.h, FamilyContext), apart from the whole
// config (genlab/experiments/experiment_config.h, whose fields() read them).
#pragma once

#include <cstdint>
#include <string>

#include "genlab/experiments/config/schema.h"

namespace genlab {

struct ModelConfig {
  std::string family = "diffusion";  // one of family_names() (genlab/experiments/families/registry.h)
  ChosenOptions options;                // the family's own keys, read from the same section
};

struct TrainConfig {
  int64_t steps = 2000;
  int64_t epochs = 0;  // > 0: train this many passes over a finite data set instead of steps
  int64_t batch_size = 512;
  bool drop_last = false;  // epochs: drop the last partial batch of each epoch
  double lr = 1e-3;
  std::string schedule = "constant";  // one of lr_schedule_kinds()
  int64_t warmup_steps = 0;
  double ema_decay = 0.999;
  double grad_clip = 0.0;
  // Divergence: a step's loss above this multiple of the median of the last 200 steps'
  // stops the run (0: off). A loss that explodes and stays finite is caught too.
  double divergence = 1000.0;
  int64_t log_every = 100;
  int64_t eval_every = 500;        // steps; 0: only at the end
  int64_t eval_every_epochs = 0;   // > 0: instead of eval_every
  int64_t checkpoint_every = 500;  // steps (a multiple of log_every); 0: only at the end
  int64_t checkpoint_every_epochs = 0;
  int64_t replica_check_every = 100;  // data parallel: steps between replica hash checks
};

}  // namespace genlab
