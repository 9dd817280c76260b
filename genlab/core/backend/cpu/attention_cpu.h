// CPU kernels of the fused attention (FlashAttention's algorithm on the CPU): queries
// and keys in blocks, the online softmax (running max and running sum) in the forward,
// and a backward that recomputes each score block from the saved log-sum-exp. Memory
// per head is O(tokens x head_dim) plus one block pair per thread; the queries x keys
// matrix never exists. Heads run in parallel, one head per thread at a time.
#pragma once

#include "genlab/core/conv_geometry.h"

namespace genlab::cpu {

void attention_forward(const float* q, const float* k, const float* v, float* out, float* lse,
                       const AttentionGeometry& g);
void attention_backward(const float* q, const float* k, const float* v, const float* out,
                        const float* grad_out, const float* lse, float* dq, float* dk, float* dv,
                        const AttentionGeometry& g);

}  // namespace genlab::cpu
