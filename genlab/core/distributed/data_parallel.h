// The two things data-parallel training adds to a step (issue 16): the gradients (and a
// few scalars such as the loss) summed over the ranks before the optimizer, and a check
// that the replicas still hold the same state.
//
//   loss = local_mean * (local_rows / global_rows);  loss.backward();
//   std::vector<double> scalars{loss.item()};
//   allreduce_gradients(comm, params, scalars);   // every rank: the global batch's gradient
//   check_replicas_agree(comm, hash, "step 100");  // throws on every rank if one differs
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "genlab/core/distributed/communicator.h"
#include "genlab/core/tensor.h"

namespace genlab {

// What a family's train step needs to know of data parallelism: who it trains with and
// how many of the global batch's rows this rank holds. The loss each rank backpropagates
// is its rows' mean weighted by rows / global_rows, so the sum over the ranks is the
// global batch's mean, as one process computes it (up to float rounding).
struct ShardedStep {
  const Communicator* comm = nullptr;  // null: one process
  int64_t rows = 0, global_rows = 0;
  bool sharded() const { return comm && comm->size() > 1; }
  // local_mean * rows / global_rows (unchanged on one process, bit for bit).
  Tensor weigh(const Tensor& local_mean) const;
  double weigh(double local_mean) const;
  // allreduce_gradients on a sharded step; nothing on one process.
  void reduce(const std::vector<Tensor>& params, std::vector<double>& scalars) const;
};

// Sums each parameter's gradient over the ranks, in place, in one message (the gradients
// flattened in parameter order, then `scalars`, summed too). A parameter that received no
// gradient on any rank keeps none, as in one process; one that did on some rank gets
// the sum (zeros elsewhere). A no-op on one process.
void allreduce_gradients(const Communicator& comm, const std::vector<Tensor>& params,
                         std::vector<double>& scalars);

// Every rank passes the hash of its state; throws (on every rank, so none is left waiting)
// when any rank's differs from rank 0's, naming the ranks and `where`.
void check_replicas_agree(const Communicator& comm, uint64_t hash, const std::string& where);

}  // namespace genlab
