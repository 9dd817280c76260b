// A small CNN image classifier, the feature extractor of the image metrics (Fréchet
// distance and class accuracy of samples, genlab/experiments/eval/image_metrics.h): there is no
// Inception network on this machine, so genlab trains its own (configs/fmnist_classifier.yaml).
// Each level is conv 3x3 + ReLU + 2x2 average pooling; then a hidden layer whose ReLU
// output are the features, and the class logits.
//
//   ImageClassifier net({.image = {1, 28, 28}, .channels = {32, 64}, .classes = 10}, init);
//   Tensor f = net.features(x);      // [B, 784] in [-1, 1] -> [B, 128]
//   Tensor p = net.predict(x);       // int32 [B]
#pragma once

#include <memory>
#include <vector>

#include "genlab/core/nn/conv_layers.h"
#include "genlab/core/nn/layers.h"

namespace genlab {

struct ImageClassifierOptions {
  std::vector<int64_t> image = {1, 28, 28};  // channels, height, width
  std::vector<int64_t> channels = {32, 64};  // per level; each level halves the image
  int64_t features = 128;                    // the hidden layer (the metrics' features)
  int64_t classes = 10;
};

class ImageClassifier : public Module {
 public:
  ImageClassifier(const ImageClassifierOptions& options, Generator& init);
  // x [B, C*H*W] (or [B, C, H, W]) gray levels in [-1, 1].
  Tensor features(const Tensor& x) const;                // [B, features]
  Tensor logits(const Tensor& x) const;                  // [B, classes]
  Tensor predict(const Tensor& x) const;                 // int32 [B], no autograd
  // Mean cross-entropy in nats against int32 labels [B].
  Tensor loss(const Tensor& x, const Tensor& labels) const;
  const ImageClassifierOptions& options() const { return o_; }

 private:
  ImageClassifierOptions o_;
  std::vector<std::shared_ptr<Conv2d>> convs_;
  std::shared_ptr<Linear> hidden_, output_;
};

}  // namespace genlab
