#include "genlab/core/batched_eval.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "genlab/core/autograd.h"

namespace genlab {

double sum_over_batches(int64_t rows, int64_t batch, const std::function<double(int64_t, int64_t)>& part,
                        const std::function<void(int64_t)>& done) {
  if (batch <= 0) throw std::invalid_argument("sum_over_batches: batch " + std::to_string(batch) + " <= 0");
  const NoGradGuard no_grad;
  double total = 0;
  for (int64_t begin = 0; begin < rows; begin += batch) {
    const int64_t end = std::min(rows, begin + batch);
    total += part(begin, end);
    if (done) done(end);
  }
  return total;
}

}  // namespace genlab
