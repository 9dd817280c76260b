#include "genlab/core/optim/optimizer.h"

#include <cmath>
#include <stdexcept>

#include "genlab/core/autograd.h"
#include "genlab/core/ops.h"

namespace genlab {

Optimizer::Optimizer(NamedTensors params, float lr) : params_(std::move(params)), lr_(lr) {
  if (!(lr >= 0.0f)) throw std::invalid_argument("optimizer: lr must be >= 0, got " + std::to_string(lr));
  for (size_t i = 0; i < params_.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (params_[i].first == params_[j].first)
        throw std::invalid_argument("optimizer: parameter name '" + params_[i].first + "' repeated");
}

void Optimizer::zero_grad() {
  for (auto& [_, p] : params_) p.zero_grad();
}

Tensor& Optimizer::slot(const std::string& param, const std::string& name, const Tensor& like) {
  Tensor& t = slots_[param][name];
  if (!t.defined()) t = Tensor::zeros(like.shape(), like.device());
  return t;
}

OptimizerState Optimizer::state_dict() const {
  OptimizerState s;
  s.step = step_;
  for (const auto& [param, slots] : slots_)
    for (const auto& [name, t] : slots) s.slots[param][name] = t.clone();
  return s;
}

void Optimizer::load_state_dict(const OptimizerState& state) {
  std::map<std::string, Tensor> by_name;
  for (const auto& [n, p] : params_) by_name[n] = p;
  for (const auto& [param, slots] : state.slots) {
    auto it = by_name.find(param);
    if (it == by_name.end())
      throw std::invalid_argument("optimizer state: unknown parameter '" + param + "'");
    for (const auto& [name, t] : slots)
      if (t.shape() != it->second.shape())
        throw std::invalid_argument("optimizer state: '" + param + "/" + name + "' has shape " +
                                    shape_str(t.shape()) + ", parameter has " +
                                    shape_str(it->second.shape()));
  }
  step_ = state.step;
  slots_.clear();
  for (const auto& [param, slots] : state.slots)
    for (const auto& [name, t] : slots) slots_[param][name] = t.clone();
}

SGD::SGD(NamedTensors params, const SGDOptions& options)
    : Optimizer(std::move(params), options.lr), options_(options) {
  if (options.nesterov && (options.momentum <= 0.0f || options.dampening != 0.0f))
    throw std::invalid_argument("SGD: nesterov needs momentum > 0 and dampening = 0");
}

void SGD::step() {
  NoGradGuard no_grad;
  ++step_;
  for (auto& [name, p] : params_) {
    Tensor g = p.grad();
    if (!g.defined()) continue;
    if (options_.weight_decay != 0.0f) g = g + p * options_.weight_decay;
    if (options_.momentum != 0.0f) {
      const bool first = !slots_[name].count("momentum_buffer");
      Tensor& buf = slot(name, "momentum_buffer", p);
      buf = first ? g.clone() : buf * options_.momentum + g * (1.0f - options_.dampening);
      g = options_.nesterov ? g + buf * options_.momentum : buf;
    }
    p.copy_(p - g * lr_);
  }
}

Adam::Adam(NamedTensors params, const AdamOptions& options) : Adam(std::move(params), options, false) {}

Adam::Adam(NamedTensors params, const AdamOptions& options, bool decoupled)
    : Optimizer(std::move(params), options.lr), options_(options), decoupled_(decoupled) {
  if (!(options.beta1 >= 0 && options.beta1 < 1 && options.beta2 >= 0 && options.beta2 < 1))
    throw std::invalid_argument("Adam: betas must be in [0, 1)");
  if (!(options.eps >= 0)) throw std::invalid_argument("Adam: eps must be >= 0");
}

void Adam::step() {
  NoGradGuard no_grad;
  ++step_;
  const float b1 = options_.beta1, b2 = options_.beta2;
  const float bias1 = 1.0f - std::pow(b1, static_cast<float>(step_));
  const float bias2_sqrt = std::sqrt(1.0f - std::pow(b2, static_cast<float>(step_)));
  for (auto& [name, p] : params_) {
    Tensor g = p.grad();
    if (!g.defined()) continue;
    Tensor param = p;
    if (options_.weight_decay != 0.0f && !options_.no_decay.count(name)) {
      if (decoupled_) param = param * (1.0f - lr_ * options_.weight_decay);
      else g = g + p * options_.weight_decay;
    }
    Tensor& m = slot(name, "exp_avg", p);
    Tensor& v = slot(name, "exp_avg_sq", p);
    m = m * b1 + g * (1.0f - b1);
    v = v * b2 + square(g) * (1.0f - b2);
    const Tensor denom = sqrt(v) / bias2_sqrt + options_.eps;
    p.copy_(param - m / denom * (lr_ / bias1));
  }
}

AdamW::AdamW(NamedTensors params, const AdamOptions& options) : Adam(std::move(params), options, true) {}

std::set<std::string> no_decay_parameters(const NamedTensors& params) {
  std::set<std::string> out;
  for (const auto& [name, p] : params)
    if (p.dim() < 2) out.insert(name);
  return out;
}

float grad_norm(const std::vector<Tensor>& params) {
  NoGradGuard no_grad;
  // Each parameter's sum of squares stays on its device, gathered into one vector there;
  // the host reads that vector once (one sync per step on a GPU, not one per parameter)
  // and adds it in double, in parameter order.
  std::vector<Tensor> squares;
  for (const Tensor& p : params) {
    const Tensor g = p.grad();
    if (g.defined()) squares.push_back(reshape(sum(square(g)), {1}));
  }
  if (squares.empty()) return 0.0f;
  double total = 0.0;
  for (float v : concat(squares, 0).to_vector()) total += v;
  return static_cast<float>(std::sqrt(total));
}

float clip_grad_norm(const std::vector<Tensor>& params, float max_norm) {
  const float norm = grad_norm(params);
  if (norm > max_norm && norm > 0.0f) {
    NoGradGuard no_grad;
    const float scale = max_norm / (norm + 1e-6f);
    for (const Tensor& p : params) {
      Tensor g = p.grad();
      if (g.defined()) g.copy_(g * scale);
    }
  }
  return norm;
}

}  // namespace genlab
