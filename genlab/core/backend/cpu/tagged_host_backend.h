// A stand-in for a GPU in tests on machines without one: Device::cuda served by the CPU
// backend, with every pointer it hands out tagged (2^62 added), which makes it a
// non-canonical address. Host code that reads or writes "device" memory directly, instead
// of through a backend or Tensor::to_vector(), faults at once; the backend untags before
// computing. It checks that ops, models, samplers and the runner never touch device
// memory from the host. It says nothing about the CUDA kernels, which only a GPU tests.
//
// Selected with GENLAB_CUDA_EMULATION=tagged-host (the `device_emulation` tests); never
// picked on its own.
#pragma once

#include "genlab/core/backend.h"

namespace genlab {

Backend& tagged_host_backend();

}  // namespace genlab
