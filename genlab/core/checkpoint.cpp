#include "genlab/core/checkpoint.h"

#include "genlab/core/autograd.h"

namespace genlab {

Tensor checkpoint(const CheckpointFn& fn, const std::vector<Tensor>& inputs,
                  const std::vector<Tensor>& params) {
  if (!grad_enabled()) return fn(inputs);
  Tensor out;
  {
    NoGradGuard no_grad;  // nothing recorded: fn's intermediates die as it returns
    out = fn(inputs);
  }
  std::vector<Tensor> node_inputs = inputs;
  node_inputs.insert(node_inputs.end(), params.begin(), params.end());
  return record(out, "checkpoint", node_inputs, [fn, inputs, params](const Tensor& g) {
    // The inputs again, as leaves of a new graph (only those that need a gradient).
    std::vector<Tensor> fresh;
    std::vector<Tensor> wrt;
    std::vector<int> slot;  // node input index of each entry of wrt
    for (size_t i = 0; i < inputs.size(); ++i) {
      Tensor t = inputs[i].defined() ? inputs[i].detach() : inputs[i];
      if (inputs[i].defined() && inputs[i].requires_grad()) {
        t.requires_grad_();
        wrt.push_back(t), slot.push_back(static_cast<int>(i));
      }
      fresh.push_back(t);
    }
    for (size_t j = 0; j < params.size(); ++j)
      if (params[j].defined() && params[j].requires_grad())
        wrt.push_back(params[j]), slot.push_back(static_cast<int>(inputs.size() + j));
    Tensor again;
    {
      GradModeGuard on(true);
      again = fn(fresh);
    }
    std::vector<Tensor> result(inputs.size() + params.size());
    if (!again.requires_grad()) return result;
    const auto grads = grad({again}, wrt, {g}, /*create_graph=*/false, /*allow_unused=*/true);
    for (size_t k = 0; k < wrt.size(); ++k) result[slot[k]] = grads[k];
    return result;
  });
}

}  // namespace genlab
