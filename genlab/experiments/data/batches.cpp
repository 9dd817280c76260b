#include "genlab/experiments/data/batches.h"

#include <stdexcept>

#include "genlab/experiments/data/image_data.h"

namespace genlab {

BatchStream::BatchStream(const Dataset& data, int64_t batch_size, bool drop_last, Generator stream)
    : data_(data), batch_size_(batch_size), drop_last_(drop_last), stream_(stream) {
  // A batch larger than the data set would be cut to the set, silently: refused.
  if (finite() && batch_size_ > data_.size())
    throw std::invalid_argument("train.batch_size (" + std::to_string(batch_size_) + ") exceeds the " +
                                std::to_string(data_.size()) + " training examples" +
                                (drop_last_ ? ", and drop_last drops every batch" : ": every batch would be the whole set") +
                                "; lower train.batch_size");
}

int64_t BatchStream::batches_per_epoch() const {
  if (!finite()) return 0;
  const int64_t n = data_.size();
  return drop_last_ ? n / batch_size_ : (n + batch_size_ - 1) / batch_size_;
}

Batch BatchStream::batch(int64_t step, Generator& rng) {
  if (!finite()) return {data_.draw(batch_size_, rng), Tensor()};
  const int64_t epoch = epoch_of(step), index = step % batches_per_epoch();
  if (epoch != cached_epoch_) {
    Generator g = stream_.derive(static_cast<uint64_t>(epoch));
    order_ = shuffled_indices(data_.size(), g);
    cached_epoch_ = epoch;
  }
  const int64_t first = index * batch_size_,
                last = std::min<int64_t>(first + batch_size_, data_.size());
  const std::vector<int64_t> idx(order_.begin() + first, order_.begin() + last);
  return {data_.gather(idx, epoch), data_.labels(idx)};
}

}  // namespace genlab
