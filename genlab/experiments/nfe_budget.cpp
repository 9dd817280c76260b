#include "genlab/experiments/nfe_budget.h"

#include <memory>
#include <stdexcept>

#include "genlab/core/ops.h"
#include "genlab/experiments/experiment_config.h"
#include "genlab/samplers/guidance.h"
#include "genlab/samplers/process.h"
#include "genlab/samplers/sampler.h"
#include "genlab/samplers/time_grid.h"

namespace genlab {
namespace {

// A model of one dimension and `classes` classes: what a count needs to know of the real
// one (expected_nfe evaluates a zero denoiser at its cost; guidance doubles that cost where
// it applies, as GuidedDenoiser says).
class CostOnly final : public Denoiser {
 public:
  explicit CostOnly(int64_t classes) : classes_(classes) {}
  Tensor denoise(const Tensor& x, const Tensor&) const override { return Tensor::zeros_like(x); }
  Tensor denoise(const Tensor& x, const Tensor&, const Tensor&) const override { return Tensor::zeros_like(x); }
  int64_t dims() const override { return 1; }
  int64_t num_classes() const override { return classes_; }

 private:
  int64_t classes_;
};

}  // namespace

int64_t variant_nfe(const SamplerVariant& v, const std::string& process, int64_t classes, int steps) {
  const auto p = make_process(process);
  const CostOnly model(classes);
  std::unique_ptr<Denoiser> guided;
  if (classes > 0) guided = std::make_unique<GuidedDenoiser>(model, Tensor::from_indices({0}, {1}), v.guidance);
  GridOptions grid = v.grid;
  grid.steps = steps;
  const auto sampler = make_sampler(v.sampler, v.options, {.final_step = parse_final_step(v.final_step)});
  return expected_nfe(v.sampler, *sampler, guided ? *guided : static_cast<const Denoiser&>(model), *p,
                      make_time_grid(*p, grid));
}

StepsForBudget steps_for_nfe_budget(const SamplerVariant& v, const std::string& process, int64_t classes,
                                    int64_t budget) {
  if (sampler_is_adaptive(v.sampler))
    throw std::invalid_argument("sampler '" + v.sampler + "' is adaptive: it chooses its own NFE (give rtol/atol)");
  // NFE grows with the steps, and every step costs at least one evaluation: search
  // [1, budget] for the last count within the budget.
  StepsForBudget best;
  int lo = 1, hi = static_cast<int>(std::min<int64_t>(budget, 100000));
  while (lo <= hi) {
    const int mid = lo + (hi - lo) / 2;
    const int64_t nfe = variant_nfe(v, process, classes, mid);
    if (nfe <= budget) {
      best = {mid, nfe};
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return best;
}

}  // namespace genlab
