// Define-by-run reverse-mode autodiff. Every op that reads a tensor requiring grad
// records a Node: its inputs and a backward function written with differentiable ops,
// so gradients of gradients (create_graph) come for free.
//
//   Tensor x = ...;  x.requires_grad_();
//   Tensor d = denoiser(x);
//   auto [vjp] = grad({d}, {x}, {e});    // e^T dD/dx, any tensor, not only leaves
//   { NoGradGuard no_grad; sample(...); } // inference: nothing recorded
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "genlab/core/tensor.h"

namespace genlab {

// Given the gradient of the op's output, returns one gradient per input (an
// undefined Tensor for an input that needs none).
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output)>;

struct Node {
  const char* op;
  std::vector<Tensor> inputs;
  BackwardFn backward;
};

bool grad_enabled();

// Disables recording for its scope (nesting restores the previous state).
class GradModeGuard {
 public:
  explicit GradModeGuard(bool enabled);
  ~GradModeGuard();
  GradModeGuard(const GradModeGuard&) = delete;
  GradModeGuard& operator=(const GradModeGuard&) = delete;

 private:
  bool previous_;
};

class NoGradGuard : public GradModeGuard {
 public:
  NoGradGuard() : GradModeGuard(false) {}
};

// Attaches a Node to `out` if recording is on and any input requires grad; returns out.
Tensor record(Tensor out, const char* op, std::vector<Tensor> inputs, BackwardFn backward);

// Accumulates d root / d leaf into every reachable leaf that requires grad.
// grad_output defaults to ones for a one-element root.
void backward(const Tensor& root, const Tensor& grad_output = Tensor(), bool create_graph = false);

// Vector-Jacobian products: sum_k grad_outputs[k]^T d outputs[k] / d inputs[i] for each
// input, leaf or not. An input the outputs do not depend on gets zeros (or an error
// unless allow_unused). Leaves' .grad are not touched.
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {}, bool create_graph = false,
                         bool allow_unused = false);

}  // namespace genlab
