// The CUDA device for tests that compare it with the CPU: a real GPU when there is one,
// the tagged host stand-in under GENLAB_CUDA_EMULATION=tagged-host (the device_emulation
// ctest entry), or nothing, in which case the test prints one line saying how many checks
// it skipped and why, and passes: CI has no GPU.
#pragma once

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "genlab/core/backend.h"

namespace genlab::testing {

struct DeviceUnderTest {
  bool available = false;
  bool emulated = false;  // the stand-in: same CPU kernels, so results must be identical
  std::string why_not;    // when not available
  std::string name;
};

inline DeviceUnderTest cuda_under_test() {
  DeviceUnderTest d;
  try {
    Backend& b = backend(Device::cuda);
    d.available = true;
    d.name = b.describe();
    d.emulated = d.name.find("tagged host") != std::string::npos;
  } catch (const std::exception& e) {
    d.why_not = e.what();
  }
  // The stand-in is installed by the test binary itself (tagged_host_backend.cpp): asked for
  // and missing, the [device] tests must fail, not skip.
  const char* emulate = std::getenv("GENLAB_CUDA_EMULATION");
  if (emulate && std::string(emulate) == "tagged-host" && !d.emulated)
    throw std::logic_error("GENLAB_CUDA_EMULATION=tagged-host, but Device::cuda is not the stand-in" +
                           (d.why_not.empty() ? std::string() : ": " + d.why_not));
  return d;
}

}  // namespace genlab::testing
