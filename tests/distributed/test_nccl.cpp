// NCCL's gradient allreduce across the two ranks (issue 16), on GPUs when this machine has
// two (or one, shared); without a GPU only the build is checked, and the test says so.
#include <cuda_runtime.h>

#include <catch2/catch.hpp>
#include <vector>

#include "genlab/core/distributed/nccl_allreduce.h"

using namespace genlab;

TEST_CASE("NCCL allreduce sums device buffers over the ranks", "[mpi][nccl]") {
  REQUIRE(built_with_nccl());
  const Communicator& comm = world();
  // Every rank must agree on skipping, or one would wait in NCCL's set-up for the other.
  double devices = NcclAllreduce::visible_devices() > 0 ? 1.0 : 0.0;
  comm.allreduce_sum(&devices, 1);
  if (devices < comm.size()) {
    WARN("no GPU on some rank: NCCL is compile-checked only here");
    return;
  }
  const int count = NcclAllreduce::visible_devices();
  NcclAllreduce nccl(comm, comm.rank() % count);
  const int n = 1000;
  std::vector<float> host(n);
  for (int i = 0; i < n; ++i) host[i] = static_cast<float>(i) * (comm.rank() + 1);
  float* device = nullptr;
  REQUIRE(cudaMalloc(&device, n * sizeof(float)) == cudaSuccess);
  REQUIRE(cudaMemcpy(device, host.data(), n * sizeof(float), cudaMemcpyHostToDevice) == cudaSuccess);
  nccl.allreduce_sum(device, n);
  REQUIRE(cudaMemcpy(host.data(), device, n * sizeof(float), cudaMemcpyDeviceToHost) == cudaSuccess);
  cudaFree(device);
  const float factor = comm.size() * (comm.size() + 1) / 2.0f;
  for (int i = 0; i < n; ++i) REQUIRE(host[i] == static_cast<float>(i) * factor);
}
