// Counter-based random numbers (Philox 4x32-10). A Generator is just (key, counter):
// drawing n values uses blocks [counter, counter + ceil(n/4)) and advances the
// counter, so saving and restoring those two numbers resumes a run exactly, and the
// values do not depend on the thread count. Independent streams (per purpose, per
// rank, per sampler step) are derived by hashing a name or number into a new key.
//
//   Generator rng(seed);
//   Generator init = rng.derive("init"), data = rng.derive("data");
//   Tensor eps = data.normal({4096, 2});
//   Tensor z = noise.normal_rows({batch, dims}, first_sample);  // row i: sample first+i
#pragma once

#include <cstdint>
#include <string>

#include "genlab/core/backend.h"
#include "genlab/core/tensor.h"

namespace genlab {

struct GeneratorState {
  uint64_t key = 0;
  uint64_t counter = 0;
  bool operator==(const GeneratorState&) const = default;
};

class Generator {
 public:
  explicit Generator(uint64_t seed = 0);
  static Generator from_state(GeneratorState state);

  GeneratorState state() const { return {key_, counter_}; }
  void set_state(GeneratorState state) { key_ = state.key, counter_ = state.counter; }

  // An independent stream; deriving the same name twice gives the same stream.
  Generator derive(const std::string& name) const;
  Generator derive(uint64_t index) const;

  Tensor uniform(const Shape& shape, float lo = 0.0f, float hi = 1.0f, Device device = default_device());
  Tensor normal(const Shape& shape, float mean = 0.0f, float std = 1.0f, Device device = default_device());
  Tensor rademacher(const Shape& shape, Device device = default_device());  // +-1 with prob 1/2
  Tensor gumbel(const Shape& shape, Device device = default_device());      // -log(-log u)
  Tensor bernoulli(const Tensor& probs);                               // 1 with probability p
  // One draw per row of probs [..., K] (non-negative, normalized per row): int32 indices [...].
  Tensor categorical(const Tensor& probs);

  // Row i of the result is row (first_row + i) of one fixed infinite array of standard
  // normals (shape[0] rows of numel / shape[0] values). Does not advance the counter:
  // the same row always gets the same values, whatever the batch it was drawn in.
  Tensor normal_rows(const Shape& shape, int64_t first_row, Device device = default_device()) const;
  Tensor rademacher_rows(const Shape& shape, int64_t first_row, Device device = default_device()) const;

  // Data parallelism (issue 16): while a shard is set, a draw whose first axis is a
  // multiple m of `rows` is made for the whole global batch (m * global_rows rows) and
  // this rank's rows [m * first, m * (first + rows)) are returned. Every example then
  // gets the values it gets in one process, and the counter moves as it does there, so
  // a step's randomness does not depend on the number of ranks. Draws in a training
  // step must therefore be batch-major; a draw with any other first axis is an error.
  // Copies keep the shard; derive() starts without one.
  struct BatchShard {
    int64_t first = 0, rows = 0, global_rows = 0;  // rows == 0: no shard
  };
  void set_batch_shard(const BatchShard& shard) { shard_ = shard; }
  const BatchShard& batch_shard() const { return shard_; }

 private:
  Generator(uint64_t key, uint64_t counter) : key_(key), counter_(counter) {}
  Tensor draw(RandomDist dist, const Shape& shape, Device device);
  Tensor draw_rows(RandomDist dist, const Shape& shape, int64_t first_row, Device device) const;

  uint64_t key_ = 0;
  uint64_t counter_ = 0;
  BatchShard shard_;
};

// A generator's batch shard for one scope (a training step): set on entry, cleared on
// exit however the scope ends, so a step that throws leaves no shard behind.
class BatchShardScope {
 public:
  BatchShardScope(Generator& g, const Generator::BatchShard& shard) : g_(g) { g_.set_batch_shard(shard); }
  ~BatchShardScope() { g_.set_batch_shard({}); }
  BatchShardScope(const BatchShardScope&) = delete;
  BatchShardScope& operator=(const BatchShardScope&) = delete;

 private:
  Generator& g_;
};

}  // namespace genlab
