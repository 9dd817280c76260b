// Serving Device::cuda with another backend instead of libgenlab_cuda.so: how the tests
// put a stand-in in the GPU's place on machines without one (tests/core/tagged_host_backend.h,
// chosen by GENLAB_CUDA_EMULATION=tagged-host in the test binary). Production code never
// calls it; it must come before the first cuda tensor.
#pragma once

#include "genlab/core/backend.h"

namespace genlab {

void serve_cuda_with(Backend& stand_in);

}  // namespace genlab
