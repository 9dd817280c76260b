// Splitting work over OpenMP threads in fixed, thread-count-determined chunks, so
// that a given thread count always produces bitwise-identical results.
#pragma once

#include <algorithm>
#include <cstdint>

#include <omp.h>

namespace genlab {

// Below this many elements a loop is not worth waking the thread pool for.
constexpr int64_t kParallelGrain = 32768;

inline int num_threads() { return omp_get_max_threads(); }
void set_num_threads(int n);

// Calls fn(begin, end) on contiguous pieces of [0, n); pieces run in parallel when
// n * cost_per_item is large enough to pay for it.
template <class Fn>
void parallel_for(int64_t n, int64_t cost_per_item, Fn&& fn) {
  const int threads = num_threads();
  if (threads <= 1 || n < 2 || n * cost_per_item < kParallelGrain || omp_in_parallel()) {
    if (n > 0) fn(int64_t{0}, n);
    return;
  }
  const int64_t pieces = std::min<int64_t>(threads, n);
#pragma omp parallel for num_threads(static_cast<int>(pieces)) schedule(static, 1)
  for (int64_t p = 0; p < pieces; ++p) {
    const int64_t begin = n * p / pieces, end = n * (p + 1) / pieces;
    if (begin < end) fn(begin, end);
  }
}

}  // namespace genlab
