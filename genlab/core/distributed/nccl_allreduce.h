// The gradient allreduce for tensors that live on GPUs (issue 16): NCCL, the CUDA toolkit's
// collective library, in place of MPI's host-memory allreduce. The NCCL communicator spans
// the ranks of an MPI Communicator (rank 0 creates the unique id and broadcasts it), one
// GPU per rank. Built as genlab_nccl when CMake finds CUDA's NCCL and MPI
// (GENLAB_WITH_NCCL). Not yet called: allreduce_gradients sums GPU gradients through host
// memory over MPI until this path can be tested on GPUs (docs/DESIGN.md).
//
//   NcclAllreduce nccl(world(), /*device=*/local_rank);
//   nccl.allreduce_sum(grad_device_ptr, n);   // every rank: the sum, the same bits
#pragma once

#include <cstdint>
#include <memory>

#include "genlab/core/distributed/communicator.h"

namespace genlab {

class NcclAllreduce {
 public:
  // Throws when NCCL cannot start (no GPU `device`, a rank that never joins, ...).
  NcclAllreduce(const Communicator& comm, int device);
  ~NcclAllreduce();
  NcclAllreduce(const NcclAllreduce&) = delete;
  NcclAllreduce& operator=(const NcclAllreduce&) = delete;

  // Sums n floats at a device pointer over the ranks, in place, and waits for it. NCCL's
  // sum is deterministic for a fixed number of ranks and topology (its ring and tree
  // orders do not change between runs), as the MPI path's rank-ordered sum is.
  void allreduce_sum(float* device_data, int64_t n);

  // GPUs this process sees (0 without a driver or device).
  static int visible_devices();

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace genlab
