// Gradient checkpointing (Chen et al. 2016; torch.utils.checkpoint): run a function without
// keeping its activations, and recompute them in the backward pass. The forward pass
// records one node; its backward re-runs fn with recording on, from the saved inputs, and
// backpropagates the output gradient through that fresh graph, to the inputs and to
// `params` (the tensors fn reads besides its inputs: a module's parameters). Memory
// drops from every intermediate of fn to its inputs and output, for one more forward.
//
//   h = checkpoint([&](const std::vector<Tensor>& in) { return block.forward(in[0]); },
//                  {h}, block.parameters());
//
// fn must be deterministic (no fresh random draws: the recomputation would differ).
// Gradients of gradients through a checkpoint are not supported (create_graph).
#pragma once

#include <functional>
#include <vector>

#include "genlab/core/tensor.h"

namespace genlab {

using CheckpointFn = std::function<Tensor(const std::vector<Tensor>&)>;

Tensor checkpoint(const CheckpointFn& fn, const std::vector<Tensor>& inputs,
                  const std::vector<Tensor>& params);

}  // namespace genlab
