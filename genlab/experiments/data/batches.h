// Training batches in the order researchers count them. A finite data set (images) is
// iterated in epochs: each epoch a permutation drawn from its own stream
// (stream.derive(epoch)), without replacement, the last partial batch kept or dropped.
// The batch of a step is a pure function of the step, so resuming in the middle of an
// epoch needs nothing saved. Generated data (toy sets, mixtures) has no epochs: each
// step draws fresh examples from the caller's rng.
//
//   BatchStream batches(data, 128, /*drop_last=*/false, root.derive("epochs"));
//   Batch b = batches.batch(step, data_rng);   // step 0, 1, ...: b.x, b.labels
#pragma once

#include <cstdint>
#include <vector>

#include "genlab/core/rng.h"
#include "genlab/experiments/data/datasets.h"

namespace genlab {

class BatchStream {
 public:
  BatchStream(const Dataset& data, int64_t batch_size, bool drop_last, Generator stream);
  bool finite() const { return data_.size() > 0; }
  // Batches in one epoch (0 for generated data).
  int64_t batches_per_epoch() const;
  int64_t epoch_of(int64_t step) const { return finite() ? step / batches_per_epoch() : 0; }
  // The batch of training step `step` (0-based), with labels for labeled data.
  Batch batch(int64_t step, Generator& rng);

 private:
  const Dataset& data_;
  int64_t batch_size_;
  bool drop_last_;
  Generator stream_;
  int64_t cached_epoch_ = -1;
  std::vector<int64_t> order_;
};

}  // namespace genlab
