// Data sets by name, for training and as the reference of the sample metrics: the 2-D toy
// sets and the exact mixtures (mixture/eight_gaussians, mixture/grid25). A new data set
// (Fashion-MNIST for the autoregressive and VAE families) implements Dataset and adds one
// line to the table in datasets.cpp; the runner and config read names from here.
//
//   auto data = make_dataset(config.data);     // DataConfig{.name = "moons"}
//   Tensor batch = data->draw(512, rng);   // [512, data->dims()]
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/rng.h"
#include "experiments/config/experiment_config.h"
#include "models/analytic/gaussian_mixture.h"

namespace genlab {

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual Tensor draw(int64_t n, Generator& rng) const = 0;
  virtual int64_t dims() const = 0;
  // The exact distribution, when the data set is an analytic mixture.
  virtual const GaussianMixture* mixture() const { return nullptr; }
  // Held-out sets of a finite data set (images); undefined tensors for generated data.
  virtual Tensor validation() const { return Tensor(); }
  virtual Tensor test() const { return Tensor(); }
  // Image shape (1 x dims for vector data).
  virtual int64_t height() const { return 1; }
  virtual int64_t width() const { return dims(); }
};

std::unique_ptr<Dataset> make_dataset(const DataConfig& config);
const std::vector<std::string>& dataset_names();

}  // namespace genlab
