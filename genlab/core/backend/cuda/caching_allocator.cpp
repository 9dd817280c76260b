#include "genlab/core/backend/cuda/caching_allocator.h"

#include <cstdio>
#include <string>

#include <cuda_runtime.h>

namespace genlab::cuda {
namespace {

std::string gib(size_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g GiB", static_cast<double>(bytes) / (1 << 30));
  return text;
}

}  // namespace

size_t CachingAllocator::size_class(size_t bytes) {
  constexpr size_t kSmall = 512, kLarge = size_t{2} << 20, kSmallLimit = size_t{1} << 20;
  if (bytes == 0) bytes = 1;
  if (bytes < kSmallLimit) return (bytes + kSmall - 1) / kSmall * kSmall;
  return (bytes + kLarge - 1) / kLarge * kLarge;
}

CachingAllocator::~CachingAllocator() = default;  // the driver frees at process exit

void* CachingAllocator::allocate(size_t bytes) {
  const size_t rounded = size_class(bytes);
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = cache_.find(rounded);
  if (it != cache_.end() && !it->second.empty()) {
    void* p = it->second.back();
    it->second.pop_back();
    cached_ -= rounded;
    in_use_ += rounded;
    peak_ = std::max(peak_, in_use_);
    return p;
  }
  void* p = nullptr;
  cudaError_t status = cudaMalloc(&p, rounded);
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // clear the sticky-free error state before retrying
    for (auto& [size, list] : cache_) {
      for (void* q : list) cudaFree(q);
      list.clear();
    }
    cached_ = 0;
    status = cudaMalloc(&p, rounded);
  }
  if (status != cudaSuccess) {
    cudaGetLastError();
    size_t free_bytes = 0, total = 0;
    cudaMemGetInfo(&free_bytes, &total);
    throw OutOfMemory("a tensor of " + std::to_string(bytes / sizeof(float)) + " floats (" +
                      gib(bytes) + ") does not fit in GPU memory: " + gib(in_use_) +
                      " held by tensors, " + gib(free_bytes) + " free of " + gib(total) + " (" +
                      cudaGetErrorString(status) + ")");
  }
  in_use_ += rounded;
  peak_ = std::max(peak_, in_use_);
  return p;
}

void CachingAllocator::deallocate(void* ptr, size_t bytes) {
  const size_t rounded = size_class(bytes);
  std::lock_guard<std::mutex> lock(mutex_);
  in_use_ -= rounded;
  cache_[rounded].push_back(ptr);
  cached_ += rounded;
}

void CachingAllocator::release_cache() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [size, list] : cache_) {
    for (void* q : list) cudaFree(q);
    list.clear();
  }
  cached_ = 0;
}

MemoryStats CachingAllocator::stats() {
  std::lock_guard<std::mutex> lock(mutex_);
  return {in_use_, peak_};
}
void CachingAllocator::reset_peak() {
  std::lock_guard<std::mutex> lock(mutex_);
  peak_ = in_use_;
}
size_t CachingAllocator::cached_bytes() {
  std::lock_guard<std::mutex> lock(mutex_);
  return cached_;
}

}  // namespace genlab::cuda
