#include "genlab/core/distributed/nccl_allreduce.h"

#include <cuda_runtime.h>
#include <nccl.h>

#include <cstring>
#include <stdexcept>
#include <string>

namespace genlab {
namespace {

void check_cuda(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw std::runtime_error(std::string("CUDA: ") + what + ": " + cudaGetErrorString(e));
}
void check_nccl(ncclResult_t r, const char* what) {
  if (r != ncclSuccess) throw std::runtime_error(std::string("NCCL: ") + what + ": " + ncclGetErrorString(r));
}

}  // namespace

struct NcclAllreduce::State {
  ncclComm_t comm = nullptr;
  cudaStream_t stream = nullptr;
};

NcclAllreduce::NcclAllreduce(const Communicator& comm, int device) : s_(std::make_unique<State>()) {
  check_cuda(cudaSetDevice(device), "cudaSetDevice");
  ncclUniqueId id{};
  std::string bytes(sizeof id, '\0');
  if (comm.rank() == 0) {
    check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
    std::memcpy(bytes.data(), &id, sizeof id);
  }
  comm.broadcast(bytes, 0);
  std::memcpy(&id, bytes.data(), sizeof id);
  check_nccl(ncclCommInitRank(&s_->comm, comm.size(), id, comm.rank()), "ncclCommInitRank");
  check_cuda(cudaStreamCreate(&s_->stream), "cudaStreamCreate");
}

NcclAllreduce::~NcclAllreduce() {
  if (s_->stream) cudaStreamDestroy(s_->stream);
  if (s_->comm) ncclCommDestroy(s_->comm);
}

void NcclAllreduce::allreduce_sum(float* device_data, int64_t n) {
  check_nccl(ncclAllReduce(device_data, device_data, static_cast<size_t>(n), ncclFloat, ncclSum, s_->comm,
                           s_->stream),
             "ncclAllReduce");
  check_cuda(cudaStreamSynchronize(s_->stream), "cudaStreamSynchronize");
}

int NcclAllreduce::visible_devices() {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess ? n : 0;
}

}  // namespace genlab
