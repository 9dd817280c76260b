#include "genlab/core/optim/ema.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "genlab/core/autograd.h"
#include "genlab/core/ops.h"

namespace genlab {

float ema_decay_from_half_life(double half_life_samples, int64_t batch_size) {
  if (half_life_samples <= 0 || batch_size <= 0)
    throw std::invalid_argument("EMA: half_life_samples and batch_size must be positive");
  return static_cast<float>(std::pow(0.5, static_cast<double>(batch_size) / half_life_samples));
}

EMA::EMA(const NamedTensors& params, const EMAOptions& options)
    : decay_(options.half_life_samples > 0
                 ? ema_decay_from_half_life(options.half_life_samples, options.batch_size)
                 : options.decay),
      warmup_(options.warmup) {
  if (!(decay_ >= 0.0f && decay_ <= 1.0f))
    throw std::invalid_argument("EMA: decay must be in [0, 1], got " + std::to_string(decay_));
  for (const auto& [name, p] : params) shadow_[name] = p.detach().clone();
}

float EMA::current_decay() const {
  if (!warmup_) return decay_;
  const double n = static_cast<double>(updates_);
  return std::min(decay_, static_cast<float>((1.0 + n) / (10.0 + n)));
}

void EMA::update(const NamedTensors& params) {
  NoGradGuard no_grad;
  const float decay = current_decay();
  for (const auto& [name, p] : params) {
    auto it = shadow_.find(name);
    if (it == shadow_.end()) throw std::invalid_argument("EMA: unknown parameter '" + name + "'");
    it->second.copy_(it->second * decay + p * (1.0f - decay));
  }
  ++updates_;
}

void EMA::copy_to(Module& module) const {
  for (auto& [name, p] : module.named_parameters()) {
    auto it = shadow_.find(name);
    if (it == shadow_.end()) throw std::invalid_argument("EMA: module has parameter '" + name + "' not averaged");
    p.copy_(it->second);
  }
}

void EMA::load(const std::map<std::string, Tensor>& shadow, int64_t updates) {
  for (auto& [name, t] : shadow_) {
    auto it = shadow.find(name);
    if (it == shadow.end()) throw std::invalid_argument("EMA: saved state lacks '" + name + "'");
    if (it->second.shape() != t.shape())
      throw std::invalid_argument("EMA: saved '" + name + "' has shape " + shape_str(it->second.shape()));
    t.copy_(it->second);
  }
  updates_ = updates;
}

}  // namespace genlab
