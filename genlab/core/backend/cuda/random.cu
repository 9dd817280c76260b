// Counter-based random numbers: element (r, c) from Philox block
// counter + r * ceil(row_len / 4) + c / 4, through philox_values, the function the CPU
// backend calls, so a (key, counter) stream is the same bits on both devices. Compiled
// with -fmad=false as well, although the shared code never leaves a contraction to chance.
#include "genlab/core/backend/cuda/cuda_check.h"
#include "genlab/core/backend/cuda/kernels.h"
#include "genlab/core/philox.h"

namespace genlab::cuda {
namespace {

__global__ void random_kernel(int dist, uint64_t key, uint64_t counter, float* out, int64_t n,
                              int64_t row_len, int64_t blocks_per_row, int64_t total_blocks) {
  GENLAB_GRID_LOOP(t, total_blocks) {
    const int64_t row = t / blocks_per_row, col = (t % blocks_per_row) * 4;
    const PhiloxBlock v = philox_block(key, counter, static_cast<uint64_t>(t));
    float vals[4];
    philox_values(dist, v, vals);
    float* o = out + row * row_len + col;
    for (int l = 0; l < 4 && col + l < row_len && row * row_len + col + l < n; ++l) o[l] = vals[l];
  }
}

}  // namespace

void random(cudaStream_t s, RandomDist dist, uint64_t key, uint64_t counter, float* out,
            int64_t n, int64_t row_len) {
  if (n == 0) return;
  const int64_t blocks_per_row = (row_len + 3) / 4, rows = (n + row_len - 1) / row_len;
  const int64_t total = rows * blocks_per_row;
  random_kernel<<<blocks_for(total), kThreads, 0, s>>>(static_cast<int>(dist), key, counter, out,
                                                       n, row_len, blocks_per_row, total);
  check_launch("random");
}

}  // namespace genlab::cuda
