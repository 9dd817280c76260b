// NADE's teacher-forcing pass as one fused, differentiable op. Written as a chain of
// small tensor ops the pass is D steps of [B, H] work, each paying op dispatch and a
// graph node; fused it is one O(B D H) loop over arrays that stay in cache, and its
// backward walks the dimensions in reverse (Larochelle & Murray 2011, section 3),
// recomputing the hidden units from checkpoints of the pre-activations taken every
// ~sqrt(D) steps, so memory is O(B H sqrt(D)) rather than O(B H D).
//
//   Tensor l = nade_logits(x, W, c, V, b);  // x [B, D], W [H, D], c [H], V [D, H], b [D]
//   // l[:, i] = b_i + V_i . sigmoid(c + W[:, <i] x[:, <i])
//
// CPU only: NADE::logits runs NADE::logits_masked on other devices. First derivatives only: asking for a
// gradient of its gradient (create_graph) is an error, not a silent zero.
#pragma once

#include "genlab/core/tensor.h"

namespace genlab {

Tensor nade_logits(const Tensor& x, const Tensor& w, const Tensor& c, const Tensor& v,
                   const Tensor& b);

}  // namespace genlab
