// Exponential moving average of parameters, the weights diffusion models sample with.
// shadow <- decay * shadow + (1 - decay) * param after each optimizer step. The decay
// is either fixed or EDM's half-life form, decay = 0.5^(batch_size / half_life_samples).
//
//   EMA ema(net.named_parameters(), EMAOptions{.decay = 0.999f});
//   opt.step(); ema.update(net.named_parameters());
//   ema.copy_to(eval_net);   // sample with the averaged weights
#pragma once

#include <map>
#include <string>

#include "genlab/core/nn/module.h"

namespace genlab {

struct EMAOptions {
  float decay = 0.999f;
  double half_life_samples = 0.0;  // > 0: decay from EDM's half-life form instead
  int64_t batch_size = 1;          // used with half_life_samples
  // Warm-up: update n (0-based) uses min(decay, (1 + n) / (10 + n)), so the random
  // initial weights keep a share of prod_n (1 + n) / (10 + n) = 9! N! / (N + 9)! after N
  // updates (1e-24 at N = 1000) instead of decay^N (13.5% for 0.999 and 2000 updates).
  bool warmup = true;
};

float ema_decay_from_half_life(double half_life_samples, int64_t batch_size);

class EMA {
 public:
  EMA(const NamedTensors& params, const EMAOptions& options);

  void update(const NamedTensors& params);
  float decay() const { return decay_; }
  // The decay the next update uses (decay() after the warm-up).
  float current_decay() const;
  int64_t updates() const { return updates_; }
  const std::map<std::string, Tensor>& shadow() const { return shadow_; }
  // Writes the averaged values into a module with the same parameter names.
  void copy_to(Module& module) const;
  // Restores averages saved from shadow() (resume); names and shapes must match.
  void load(const std::map<std::string, Tensor>& shadow, int64_t updates);

 private:
  float decay_;
  bool warmup_;
  int64_t updates_ = 0;
  std::map<std::string, Tensor> shadow_;
};

}  // namespace genlab
