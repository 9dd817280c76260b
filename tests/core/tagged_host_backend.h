// A stand-in for a GPU in tests on machines without one: Device::cuda served by the CPU
// backend, with every pointer it hands out tagged (2^62 added), which makes it a
// non-canonical address. Host code that reads or writes "device" memory directly, instead
// of through a backend or Tensor::to_vector(), faults at once; the backend untags before
// computing. It checks that ops, models, samplers and the runner never touch device
// memory from the host. It says nothing about the CUDA kernels, which only a GPU tests.
//
// Selected with GENLAB_CUDA_EMULATION=tagged-host in the test binary (the `device_emulation`
// test), through serve_cuda_with (genlab/core/backend/cuda_stand_in.h); the library and
// the genlab program know nothing of it.
#pragma once

#include "genlab/core/backend.h"

namespace genlab {

Backend& tagged_host_backend();

}  // namespace genlab
