// Optimizers over named parameters. State (momentum buffers, Adam moments, step
// count) is keyed by parameter name, so it can be saved and restored exactly and
// survives a change in the order parameters are listed.
//
//   Adam opt(net.named_parameters(), AdamOptions{.lr = 1e-3f});
//   loss.backward();
//   clip_grad_norm(net.parameters(), 1.0f);
//   opt.step();
//   opt.zero_grad();
#pragma once

#include <map>
#include <set>
#include <string>

#include "genlab/core/nn/module.h"

namespace genlab {

struct OptimizerState {
  int64_t step = 0;
  // parameter name -> slot name ("exp_avg", "momentum_buffer", ...) -> tensor
  std::map<std::string, std::map<std::string, Tensor>> slots;
};

class Optimizer {
 public:
  Optimizer(NamedTensors params, float lr);
  virtual ~Optimizer() = default;

  // Applies one update from the parameters' .grad (parameters without a grad are skipped).
  virtual void step() = 0;
  void zero_grad();

  float lr() const { return lr_; }
  void set_lr(float lr) { lr_ = lr; }
  int64_t steps_taken() const { return step_; }

  // Deep copies, so a saved state is not changed by later steps.
  OptimizerState state_dict() const;
  // Every slot must belong to a parameter of this optimizer with the same shape.
  void load_state_dict(const OptimizerState& state);

 protected:
  Tensor& slot(const std::string& param, const std::string& name, const Tensor& like);
  NamedTensors params_;
  float lr_;
  int64_t step_ = 0;
  std::map<std::string, std::map<std::string, Tensor>> slots_;
};

struct SGDOptions {
  float lr = 1e-2f;
  float momentum = 0.0f;
  float dampening = 0.0f;
  float weight_decay = 0.0f;  // L2: added to the gradient
  bool nesterov = false;
};

// PyTorch's SGD: buf = momentum buf + (1 - dampening) g (buf = g on the first step).
class SGD : public Optimizer {
 public:
  SGD(NamedTensors params, const SGDOptions& options);
  void step() override;

 private:
  SGDOptions options_;
};

struct AdamOptions {
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  float weight_decay = 0.0f;  // Adam: L2 added to the gradient; AdamW: decoupled decay
  // Parameters (by name) that get no weight decay: a second parameter group, as PyTorch
  // users build for norms, biases and embeddings (no_decay_parameters()).
  std::set<std::string> no_decay = {};
};

// The usual exemptions from weight decay: every parameter with fewer than 2 axes (biases,
// norm gains, the Transformer's token and start embeddings).
std::set<std::string> no_decay_parameters(const NamedTensors& params);

// Adam (Kingma & Ba 2015) with bias correction, in PyTorch's arithmetic order.
class Adam : public Optimizer {
 public:
  Adam(NamedTensors params, const AdamOptions& options);
  void step() override;

 protected:
  Adam(NamedTensors params, const AdamOptions& options, bool decoupled_weight_decay);

 private:
  AdamOptions options_;
  bool decoupled_;
};

// AdamW (Loshchilov & Hutter 2019): p <- p (1 - lr wd) before the Adam step.
class AdamW : public Adam {
 public:
  AdamW(NamedTensors params, const AdamOptions& options);
};

// Scales all gradients so their joint L2 norm is at most max_norm; returns the norm
// before clipping.
float clip_grad_norm(const std::vector<Tensor>& params, float max_norm);
float grad_norm(const std::vector<Tensor>& params);

}  // namespace genlab
