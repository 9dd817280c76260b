#include "genlab/core/backend.h"

#include <unistd.h>

#include <stdexcept>

#include <Eigen/Core>

#include "genlab/core/parallel.h"

namespace genlab {

Backend& cpu_backend();
#ifdef GENLAB_WITH_CUDA
Backend* cuda_backend();  // nullptr when no device is present at run time
#endif

Backend& backend(Device device) {
  if (device == Device::cpu) return cpu_backend();
#ifdef GENLAB_WITH_CUDA
  if (Backend* b = cuda_backend()) return *b;
  throw std::runtime_error("CUDA backend: no CUDA device is available on this machine");
#else
  throw std::runtime_error(
      "CUDA backend: genlab was built without CUDA (configure with -DGENLAB_CUDA=ON)");
#endif
}

size_t physical_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<size_t>(pages) * static_cast<size_t>(page) : 0;
}

void set_num_threads(int n) {
  omp_set_num_threads(n);
  Eigen::setNbThreads(n);
}

}  // namespace genlab
