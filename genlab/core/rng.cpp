#include "genlab/core/rng.h"

#include <stdexcept>

#include "genlab/core/backend.h"
#include "genlab/core/autograd.h"
#include "genlab/core/ops.h"

namespace genlab {
namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

}  // namespace

Generator::Generator(uint64_t seed) : key_(splitmix64(seed)), counter_(0) {}

Generator Generator::from_state(GeneratorState state) { return Generator(state.key, state.counter); }

Generator Generator::derive(const std::string& name) const { return derive(fnv1a(name)); }

Generator Generator::derive(uint64_t index) const {
  return Generator(splitmix64(key_ ^ splitmix64(index ^ 0x5851F42D4C957F2Dull)), 0);
}

Tensor Generator::draw(RandomDist dist, const Shape& shape, Device device) {
  if (shard_.rows > 0 && shard_.rows != shard_.global_rows) {
    if (shape.empty() || shape[0] == 0 || shape[0] % shard_.rows != 0)
      throw std::logic_error("a random draw of shape " + shape_str(shape) +
                             " inside a data-parallel step of " + std::to_string(shard_.rows) +
                             " rows per rank: draws in a training step must be batch-major "
                             "(first axis a multiple of the rank's rows)");
    const int64_t m = shape[0] / shard_.rows;
    Shape global = shape;
    global[0] = m * shard_.global_rows;
    const BatchShard shard = shard_;
    shard_ = {};
    const Tensor all = draw(dist, global, device);
    shard_ = shard;
    return all.narrow_rows(m * shard.first, m * shard.rows).clone();
  }
  Tensor out = Tensor::empty(shape, device);
  const int64_t n = out.numel();
  backend(device).random(dist, key_, counter_, out.data(), n, std::max<int64_t>(n, 1));
  counter_ += static_cast<uint64_t>((n + 3) / 4);
  return out;
}

Tensor Generator::draw_rows(RandomDist dist, const Shape& shape, int64_t first_row,
                            Device device) const {
  if (shape.empty() || first_row < 0)
    throw std::invalid_argument("normal_rows: needs a shape with a row axis and first_row >= 0");
  Tensor out = Tensor::empty(shape, device);
  const int64_t rows = shape[0], n = out.numel();
  const int64_t row_len = rows ? n / rows : 1;
  const uint64_t blocks_per_row = static_cast<uint64_t>((row_len + 3) / 4);
  backend(device).random(dist, key_, counter_ + static_cast<uint64_t>(first_row) * blocks_per_row,
                         out.data(), n, std::max<int64_t>(row_len, 1));
  return out;
}

Tensor Generator::uniform(const Shape& shape, float lo, float hi, Device device) {
  Tensor u = draw(RandomDist::uniform, shape, device);
  if (lo == 0.0f && hi == 1.0f) return u;
  return u * (hi - lo) + lo;
}

Tensor Generator::normal(const Shape& shape, float mean, float std, Device device) {
  Tensor z = draw(RandomDist::normal, shape, device);
  if (mean == 0.0f && std == 1.0f) return z;
  return z * std + mean;
}

Tensor Generator::rademacher(const Shape& shape, Device device) {
  return draw(RandomDist::rademacher, shape, device);
}

Tensor Generator::gumbel(const Shape& shape, Device device) {
  NoGradGuard no_grad;
  return neg(log(neg(log(draw(RandomDist::uniform, shape, device)))));
}

Tensor Generator::bernoulli(const Tensor& probs) {
  NoGradGuard no_grad;
  return lt(draw(RandomDist::uniform, probs.shape(), probs.device()), probs);
}

Tensor Generator::categorical(const Tensor& probs) {
  if (probs.dim() < 1) throw std::invalid_argument("categorical: probs need a class axis");
  const int64_t k = probs.shape().back(), rows = k ? probs.numel() / k : 0;
  const std::vector<float> p = probs.to_vector();
  const std::vector<float> u = draw(RandomDist::uniform, {rows}, Device::cpu).to_vector();
  std::vector<int32_t> idx(rows);
  for (int64_t r = 0; r < rows; ++r) {
    // Inverse CDF, scaled by the row total so tiny normalization errors do not matter.
    double total = 0;
    for (int64_t j = 0; j < k; ++j) {
      if (p[r * k + j] < 0) throw std::invalid_argument("categorical: negative probability");
      total += p[r * k + j];
    }
    if (total <= 0) throw std::invalid_argument("categorical: a row of probabilities sums to 0");
    const double target = u[r] * total;
    double acc = 0;
    int64_t j = 0;
    for (; j < k - 1; ++j) {
      acc += p[r * k + j];
      if (target < acc) break;
    }
    while (j > 0 && p[r * k + j] == 0) --j;  // never land on an impossible class
    idx[r] = static_cast<int32_t>(j);
  }
  Shape out_shape(probs.shape().begin(), probs.shape().end() - 1);
  return Tensor::from_indices(idx, out_shape, probs.device());
}

Tensor Generator::normal_rows(const Shape& shape, int64_t first_row, Device device) const {
  return draw_rows(RandomDist::normal, shape, first_row, device);
}

Tensor Generator::rademacher_rows(const Shape& shape, int64_t first_row, Device device) const {
  return draw_rows(RandomDist::rademacher, shape, first_row, device);
}

}  // namespace genlab
