#include "genlab/core/backend.h"
#include "genlab/core/distributed/data_parallel.h"

#include <cstring>
#include <sstream>
#include <stdexcept>

#include "genlab/core/ops.h"

namespace genlab {

Tensor ShardedStep::weigh(const Tensor& local_mean) const {
  if (!sharded()) return local_mean;
  return mul_scalar(local_mean, static_cast<float>(static_cast<double>(rows) / static_cast<double>(global_rows)));
}

double ShardedStep::weigh(double local_mean) const {
  return sharded() ? local_mean * static_cast<double>(rows) / static_cast<double>(global_rows) : local_mean;
}

void ShardedStep::reduce(const std::vector<Tensor>& params, std::vector<double>& scalars) const {
  if (sharded()) allreduce_gradients(*comm, params, scalars);
}

void allreduce_gradients(const Communicator& comm, const std::vector<Tensor>& params,
                         std::vector<double>& scalars) {
  if (comm.size() == 1) return;
  // One flat message: every gradient (zeros where a rank has none), then one presence
  // flag per parameter; the scalars travel in double precision beside it.
  int64_t total = 0;
  for (const Tensor& p : params) total += p.numel();
  std::vector<float> flat(static_cast<size_t>(total + static_cast<int64_t>(params.size())), 0.0f);
  int64_t at = 0;
  for (size_t i = 0; i < params.size(); ++i) {
    const Tensor g = params[i].grad();
    if (g.defined()) {
      // Through the gradient's backend: a GPU gradient comes to the host in one copy.
      // (NCCL would keep it on the device: genlab_nccl, wired in when a GPU test can run.)
      backend(g.device()).copy_to_host(flat.data() + at, g.data(), g.numel());
      flat[static_cast<size_t>(total) + i] = 1.0f;
    }
    at += params[i].numel();
  }
  comm.allreduce_sum(flat.data(), static_cast<int64_t>(flat.size()));
  if (!scalars.empty()) comm.allreduce_sum(scalars.data(), static_cast<int64_t>(scalars.size()));
  at = 0;
  for (size_t i = 0; i < params.size(); ++i) {
    const int64_t n = params[i].numel();
    if (flat[static_cast<size_t>(total) + i] > 0.0f) {
      // A fresh tensor: backward may have handed one gradient tensor to several leaves.
      Tensor g = Tensor::empty(params[i].shape(), params[i].device());
      backend(g.device()).copy_from_host(g.data(), flat.data() + at, n);
      Tensor p = params[i];
      p.set_grad(g);
    }
    at += n;
  }
}

void check_replicas_agree(const Communicator& comm, uint64_t hash, const std::string& where) {
  if (comm.size() == 1) return;
  std::string mine(sizeof hash, '\0');
  std::memcpy(mine.data(), &hash, sizeof hash);
  const auto all = comm.allgather(mine);
  std::vector<uint64_t> hashes(all.size());
  for (size_t r = 0; r < all.size(); ++r) std::memcpy(&hashes[r], all[r].data(), sizeof hash);
  std::ostringstream diverged;
  for (size_t r = 1; r < hashes.size(); ++r)
    if (hashes[r] != hashes[0]) diverged << (diverged.tellp() > 0 ? ", " : "") << r;
  if (diverged.tellp() == 0) return;
  std::ostringstream msg;
  msg << where << ": the data-parallel replicas diverged: the training state (parameters, "
      << "optimizer, EMA) of rank(s) " << diverged.str() << " differs from rank 0's (hash " << std::hex
      << hashes[0] << std::dec << "). Every rank must run the same genlab binary, config and "
      << "thread count; a rank that computes differently breaks the run's determinism";
  throw std::runtime_error(msg.str());
}

}  // namespace genlab
