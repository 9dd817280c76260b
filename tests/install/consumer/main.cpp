// Uses each installed library through its "genlab/..." headers: a config (experiments),
// a family from the registry with its exact denoiser (models), a sampler (samplers), ops
// (core). Prints one line and exits 0 when everything agrees.
#include <cmath>
#include <cstdio>

#include "genlab/core/ops.h"
#include "genlab/experiments/experiment_config.h"
#include "genlab/experiments/data/datasets.h"
#include "genlab/models/analytic/gaussian_mixture.h"
#include "genlab/samplers/sampler.h"
#include "genlab/samplers/time_grid.h"

int main() {
  using namespace genlab;
  const ExperimentConfig c = parse_experiment_config(
      "data: {name: mixture/eight_gaussians}\nmodel: {family: analytic}\n"
      "samplers: [{sampler: heun, steps: 18}]\n",
      "consumer.yaml");
  const auto data = make_dataset(c.data, c.seed);
  const auto process = make_process("edm");
  const Tensor noise = Generator(1).normal_rows({256, 2}, 0);
  const auto r = make_sampler("heun")->sample(*data->mixture(), *process,
                                              make_time_grid(*process, {.steps = 18}), noise);
  const double radius = mean(sqrt(sum(square(r.x), {1}))).item();
  std::printf("consumer: %s, %lld NFE, mean radius %.3f\n", c.samplers[0].name.c_str(),
              static_cast<long long>(r.nfe), radius);
  return std::abs(radius - 1.0) < 0.1 && r.nfe == 35 ? 0 : 1;
}
