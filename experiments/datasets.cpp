#include "experiments/datasets.h"

#include <functional>
#include <stdexcept>

#include "experiments/toy_data.h"

namespace genlab {
namespace {

class ToyDataset final : public Dataset {
 public:
  explicit ToyDataset(std::string name) : name_(std::move(name)) {}
  Tensor draw(int64_t n, Generator& rng) const override { return toy_2d(name_, n, rng); }
  int64_t dims() const override { return 2; }

 private:
  std::string name_;
};

class MixtureDataset final : public Dataset {
 public:
  explicit MixtureDataset(GaussianMixture gm) : gm_(std::move(gm)) {}
  Tensor draw(int64_t n, Generator& rng) const override { return gm_.sample(n, rng); }
  int64_t dims() const override { return gm_.dims(); }
  const GaussianMixture* mixture() const override { return &gm_; }

 private:
  GaussianMixture gm_;
};

using Factory = std::function<std::unique_ptr<Dataset>()>;

// Every data set by name: the one place a new one is added.
const std::vector<std::pair<std::string, Factory>>& table() {
  static const std::vector<std::pair<std::string, Factory>> t = [] {
    std::vector<std::pair<std::string, Factory>> v;
    for (const auto& name : toy_2d_names())
      v.emplace_back(name, [name] { return std::make_unique<ToyDataset>(name); });
    v.emplace_back("mixture/eight_gaussians", [] {
      return std::make_unique<MixtureDataset>(GaussianMixture::eight_gaussians());
    });
    v.emplace_back("mixture/grid25",
                   [] { return std::make_unique<MixtureDataset>(GaussianMixture::grid25()); });
    return v;
  }();
  return t;
}

}  // namespace

const std::vector<std::string>& dataset_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& [name, f] : table()) n.push_back(name);
    return n;
  }();
  return names;
}

std::unique_ptr<Dataset> make_dataset(const std::string& name) {
  for (const auto& [n, factory] : table())
    if (n == name) return factory();
  std::string allowed;
  for (const auto& n : dataset_names()) allowed += (allowed.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown data set '" + name + "' (allowed: " + allowed + ")");
}

}  // namespace genlab
