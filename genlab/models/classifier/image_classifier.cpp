#include "genlab/models/classifier/image_classifier.h"

#include <stdexcept>

#include "genlab/core/autograd.h"
#include "genlab/core/ops.h"

namespace genlab {

ImageClassifier::ImageClassifier(const ImageClassifierOptions& o, Generator& init) : o_(o) {
  if (o.image.size() != 3 || o.channels.empty() || o.features < 1 || o.classes < 2)
    throw std::invalid_argument("image classifier: needs image {C, H, W}, >= 1 level, "
                                "features >= 1 and classes >= 2");
  int64_t in = o.image[0], h = o.image[1], w = o.image[2];
  for (size_t l = 0; l < o.channels.size(); ++l) {
    if (h % 2 || w % 2)
      throw std::invalid_argument("image classifier: level " + std::to_string(l) + " cannot halve " +
                                  std::to_string(h) + "x" + std::to_string(w) + " images");
    convs_.push_back(register_module(
        "conv" + std::to_string(l),
        std::make_shared<Conv2d>(
            Conv2dLayerOptions{.in = in, .out = o.channels[l], .kernel = 3, .padding = 1}, init)));
    in = o.channels[l], h /= 2, w /= 2;
  }
  hidden_ = register_module("hidden", std::make_shared<Linear>(LinearOptions{in * h * w, o.features}, init));
  output_ = register_module("output", std::make_shared<Linear>(LinearOptions{o.features, o.classes}, init));
}

Tensor ImageClassifier::features(const Tensor& x) const {
  const Shape image = {x.size(0), o_.image[0], o_.image[1], o_.image[2]};
  if (x.numel() != numel(image))
    throw std::invalid_argument("image classifier: input of shape " + shape_str(x.shape()) +
                                " is not a batch of images " + shape_str(image));
  Tensor h = reshape(x, image);
  for (const auto& conv : convs_) h = downsample2d(relu(conv->forward(h)));
  return relu(hidden_->forward(flatten(h, 1)));
}

Tensor ImageClassifier::logits(const Tensor& x) const { return output_->forward(features(x)); }

Tensor ImageClassifier::predict(const Tensor& x) const {
  const NoGradGuard no_grad;
  const Tensor z = logits(x);
  const int64_t n = z.size(0), c = z.size(1);
  const auto v = z.to_vector();
  std::vector<int32_t> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    int64_t best = 0;
    for (int64_t k = 1; k < c; ++k)
      if (v[i * c + k] > v[i * c + best]) best = k;
    out[i] = static_cast<int32_t>(best);
  }
  return Tensor::from_indices(out, {n});
}

Tensor ImageClassifier::loss(const Tensor& x, const Tensor& labels) const {
  const Tensor lp = log_softmax(logits(x), 1);
  return -mean(sum(lp * one_hot(labels, o_.classes), {1}));
}

}  // namespace genlab
