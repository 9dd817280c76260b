// A sum over the rows of a data set computed batch by batch, without a graph: the one
// no-grad evaluator of the families (validation and test NLL, ELBO and IWAE bounds,
// classifier accuracy), so each says only what a batch contributes.
//
//   const double nll = sum_over_batches(x.size(0), 1000, [&](int64_t b, int64_t e) {
//     return -sum(model.log_prob(slice(x, 0, b, e))).item();
//   }) / x.size(0);
#pragma once

#include <cstdint>
#include <functional>

namespace genlab {

// part(begin, end): the sum over rows [begin, end), batches of `batch` rows in order;
// `done(rows)` after each batch, for progress lines. Gradients are off throughout.
double sum_over_batches(int64_t rows, int64_t batch, const std::function<double(int64_t, int64_t)>& part,
                        const std::function<void(int64_t)>& done = {});

}  // namespace genlab
