// Device memory for tensors, cached as PyTorch's allocator does: sizes are rounded to
// classes (512 B steps below 1 MiB, 2 MiB steps above), freed blocks wait in a list per
// class and are handed out again, so a training step that frees and re-allocates the same
// activations costs no cudaMalloc/cudaFree (each a device-wide sync) after the first step.
// One stream runs all work, so a block freed on the host can be reused at once: later
// kernels that write it are ordered after the earlier ones that read it.
#pragma once

#include <cstddef>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "genlab/core/backend.h"

namespace genlab::cuda {

class CachingAllocator {
 public:
  ~CachingAllocator();
  void* allocate(size_t bytes);  // throws OutOfMemory naming the request and the GPU's memory
  void deallocate(void* ptr, size_t bytes);
  void release_cache();          // cudaFree every cached block
  MemoryStats stats();
  void reset_peak();
  size_t cached_bytes();

  static size_t size_class(size_t bytes);

 private:
  std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> cache_;
  size_t cached_ = 0, in_use_ = 0, peak_ = 0;
};

}  // namespace genlab::cuda
