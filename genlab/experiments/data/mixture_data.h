// Gaussian mixtures as data sets, configured in YAML: the user's own (weights, means and
// diagonal variances or full covariances, any dimension), or a seeded random one
// (GaussianMixture::random). Bad input gets a located error: negative weights or weights
// that do not sum to 1 (within 1e-6), a covariance that is not symmetric positive
// definite, mismatched dimensions.
//
//   data:
//     name: mixture
//     weights: [0.3, 0.7]
//     means: [[0, 0], [2, 1]]
//     covariances: [[[1, 0.5], [0.5, 1]], [[0.2, 0], [0, 0.3]]]   # or variances: [[1, 1], [.2, .3]]
#pragma once

#include <cstdint>
#include <vector>

#include "genlab/experiments/config/schema.h"
#include "genlab/models/analytic/gaussian_mixture.h"

namespace genlab {

struct MixtureOptions {
  std::vector<double> weights;
  std::vector<std::vector<double>> means;      // [K][D]
  std::vector<std::vector<double>> variances;  // [K][D] (diagonal covariances)
  std::vector<std::vector<std::vector<double>>> covariances;  // [K][D][D] (full)
};

struct RandomMixtureOptions {
  int64_t dims = 16;
  int64_t components = 8;
  uint64_t seed = 0;  // the mixture's own, so runs of different seeds share one target
};

// Empty string when the options describe a valid mixture, else what is wrong, starting
// with the key it concerns ("covariances: component 1 is not positive definite").
std::string mixture_problem(const MixtureOptions& o);
GaussianMixture make_mixture(const MixtureOptions& o);

template <class V>
void fields(V& v, MixtureOptions& o) {
  v.field("weights", o.weights, "mixture weights, >= 0 and summing to 1", at_least(0));
  v.field("means", o.means, "one mean per component (K lists of D numbers)");
  v.field("variances", o.variances, "diagonal covariances: K lists of D variances > 0");
  v.field("covariances", o.covariances,
          "full covariances: K symmetric positive definite D x D matrices (instead of variances)");
  if constexpr (V::reading) {
    const std::string problem = mixture_problem(o);
    if (!problem.empty()) {
      const std::string key = problem.substr(0, problem.find(':'));
      v.fail(key.c_str(), problem.substr(problem.find(':') + 2));
    }
  }
}

template <class V>
void fields(V& v, RandomMixtureOptions& o) {
  v.field("dims", o.dims, "dimensions", between(1, 4096));
  v.field("components", o.components, "components", between(1, 4096));
  v.field("seed", o.seed, "seed of the mixture's parameters (not the run's: one target for every run seed)");
}

}  // namespace genlab
