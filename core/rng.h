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

  Tensor uniform(const Shape& shape, float lo = 0.0f, float hi = 1.0f, Device device = Device::cpu);
  Tensor normal(const Shape& shape, float mean = 0.0f, float std = 1.0f, Device device = Device::cpu);
  Tensor rademacher(const Shape& shape, Device device = Device::cpu);  // +-1 with prob 1/2
  Tensor gumbel(const Shape& shape, Device device = Device::cpu);      // -log(-log u)
  Tensor bernoulli(const Tensor& probs);                               // 1 with probability p
  // One draw per row of probs [..., K] (non-negative, normalized per row): int32 indices [...].
  Tensor categorical(const Tensor& probs);

  // Row i of the result is row (first_row + i) of one fixed infinite array of standard
  // normals (shape[0] rows of numel / shape[0] values). Does not advance the counter:
  // the same row always gets the same values, whatever the batch it was drawn in.
  Tensor normal_rows(const Shape& shape, int64_t first_row, Device device = Device::cpu) const;
  Tensor rademacher_rows(const Shape& shape, int64_t first_row, Device device = Device::cpu) const;

 private:
  Generator(uint64_t key, uint64_t counter) : key_(key), counter_(counter) {}
  Tensor draw(RandomDist dist, const Shape& shape, Device device);
  Tensor draw_rows(RandomDist dist, const Shape& shape, int64_t first_row, Device device) const;

  uint64_t key_ = 0;
  uint64_t counter_ = 0;
};

}  // namespace genlab
