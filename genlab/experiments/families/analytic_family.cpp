#include "genlab/experiments/families/analytic_family.h"

#include <stdexcept>

#include "genlab/experiments/families/family.h"
#include "genlab/experiments/families/registry.h"

namespace genlab {
namespace {

class AnalyticFamily final : public Family {
 public:
  explicit AnalyticFamily(const FamilyContext& c)
      : o_(c.options<AnalyticFamilyOptions>()), mixture_(c.data.mixture()), name_(c.data_config.name) {
    if (!mixture_) throw std::invalid_argument("the analytic family needs an exact mixture as data");
  }
  std::string describe() const override { return "analytic " + name_ + " (no training)"; }
  bool trainable() const override { return false; }
  Step train_step(const Batch&, Generator&, float) override {
    throw std::logic_error("the analytic family does not train");
  }
  NamedTensorMap weights() const override { return {}; }
  void load_sampling_weights(const NamedTensorMap&) override {}
  TrainingState save() const override { return {}; }
  void load(const TrainingState&) override {}
  std::optional<SamplingTarget> sampling_target() override {
    return SamplingTarget{.denoiser = mixture_,
                          .process = make_process(o_.process),
                          .sigma_data = o_.sigma_data > 0 ? o_.sigma_data : mixture_->data_std(),
                          .exact = mixture_};
  }

 private:
  AnalyticFamilyOptions o_;
  const GaussianMixture* mixture_;
  std::string name_;
};

}  // namespace

FamilySpec analytic_family_spec() {
  return {"analytic", "an exact Gaussian mixture (the data set) through its closed-form denoiser",
          ChosenOptions::of(AnalyticFamilyOptions{}),
          [](const ChosenOptions& o) { return o.as<AnalyticFamilyOptions>().process; },
          [](const FamilyContext& c) -> std::unique_ptr<Family> {
            return std::make_unique<AnalyticFamily>(c);
          },
          false};
}

}  // namespace genlab
