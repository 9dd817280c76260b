#include "genlab/models/autoregressive/made.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "genlab/core/ops.h"

namespace genlab {

MADE::MADE(const MADEOptions& o, Generator& init) : o_(o), act_(parse_activation(o.activation)) {
  if (o.dims < 2) throw std::invalid_argument("MADE: dims must be >= 2");
  if (o.hidden.empty()) throw std::invalid_argument("MADE: at least one hidden layer");
  if (o.num_masks < 1) throw std::invalid_argument("MADE: num_masks must be >= 1");
  const int64_t d = o.dims;
  int64_t in = d;
  auto* layers = register_module("hidden", std::make_shared<ModuleList>()).get();
  for (int64_t h : o.hidden) {
    if (h < 1) throw std::invalid_argument("MADE: hidden sizes must be >= 1");
    hidden_.push_back(
        layers->push_back(std::make_shared<MaskedLinear>(LinearOptions{in, h}, init)));
    in = h;
  }
  output_ = register_module("output", std::make_shared<MaskedLinear>(LinearOptions{in, d}, init));
  if (o.direct)
    direct_ =
        register_module("direct", std::make_shared<MaskedLinear>(LinearOptions{d, d, false}, init));

  for (int k = 0; k < o.num_masks; ++k) {
    Generator g = Generator(o.mask_seed).derive("made_masks").derive(static_cast<uint64_t>(k));
    std::vector<int64_t> order(d);
    std::iota(order.begin(), order.end(), 0);
    if (o.ordering == InputOrdering::random) {
      const auto u = g.derive("order").uniform({d}).to_vector();
      std::stable_sort(order.begin(), order.end(),
                       [&](int64_t a, int64_t b) { return u[a] < u[b]; });
    }
    std::vector<int64_t> deg(d);
    for (int64_t pos = 0; pos < d; ++pos) deg[order[pos]] = pos + 1;
    // Hidden degrees m(k) ~ U{min of the previous layer's degrees, D - 1}.
    std::vector<Tensor> masks;
    std::vector<int64_t> prev = deg;
    for (size_t l = 0; l < o.hidden.size(); ++l) {
      const int64_t lo = *std::min_element(prev.begin(), prev.end());
      const auto u = g.derive(100 + l).uniform({o.hidden[l]}).to_vector();
      std::vector<int64_t> m(o.hidden[l]);
      for (size_t j = 0; j < m.size(); ++j)
        m[j] =
            std::min<int64_t>(d - 1, lo + static_cast<int64_t>(u[j] * static_cast<float>(d - lo)));
      std::vector<float> mask(m.size() * prev.size());
      for (size_t a = 0; a < m.size(); ++a)
        for (size_t b = 0; b < prev.size(); ++b)
          mask[a * prev.size() + b] = m[a] >= prev[b] ? 1.0f : 0.0f;
      masks.push_back(Tensor::from_vector(
          mask, {static_cast<int64_t>(m.size()), static_cast<int64_t>(prev.size())}));
      prev = m;
    }
    std::vector<float> out(d * prev.size());
    for (int64_t a = 0; a < d; ++a)
      for (size_t b = 0; b < prev.size(); ++b)
        out[a * prev.size() + b] = deg[a] > prev[b] ? 1.0f : 0.0f;
    masks.push_back(Tensor::from_vector(out, {d, static_cast<int64_t>(prev.size())}));
    std::vector<float> dir(d * d);
    for (int64_t a = 0; a < d; ++a)
      for (int64_t b = 0; b < d; ++b) dir[a * d + b] = deg[a] > deg[b] ? 1.0f : 0.0f;
    masks.push_back(Tensor::from_vector(dir, {d, d}));
    orders_.push_back(order);
    degrees_.push_back(deg);
    masks_.push_back(masks);
  }
  use_mask(0);
}

void MADE::use_mask(int k) {
  if (k < 0 || k >= o_.num_masks)
    throw std::invalid_argument("MADE: mask set " + std::to_string(k) + " of " +
                                std::to_string(o_.num_masks));
  current_ = k;
  for (size_t l = 0; l < hidden_.size(); ++l) hidden_[l]->set_mask(masks_[k][l]);
  output_->set_mask(masks_[k][hidden_.size()]);
  if (direct_) direct_->set_mask(masks_[k][hidden_.size() + 1]);
}

Tensor MADE::logits(const Tensor& x) const {
  if (x.dim() != 2 || x.size(1) != o_.dims)
    throw std::invalid_argument("MADE: x must be [batch, " + std::to_string(o_.dims) + "], got " +
                                shape_str(x.shape()));
  Tensor h = x;
  for (const auto& layer : hidden_) h = activate(act_, layer->forward(h));
  Tensor out = output_->forward(h);
  if (direct_) out = out + direct_->forward(x);
  return out;
}

Tensor MADE::ensemble_log_prob(const Tensor& x, int masks) {
  if (masks < 1 || masks > o_.num_masks)
    throw std::invalid_argument("MADE: ensemble of " + std::to_string(masks) + " masks, have " +
                                std::to_string(o_.num_masks));
  const int keep = current_;
  std::vector<Tensor> lls;
  for (int k = 0; k < masks; ++k) {
    use_mask(k);
    lls.push_back(log_prob(x));
  }
  use_mask(keep);
  // A mixture of the per-mask models: average probabilities, in log space.
  return logsumexp(stack(lls, 1), 1) - static_cast<float>(std::log(static_cast<double>(masks)));
}

}  // namespace genlab
