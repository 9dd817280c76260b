// Where a tensor's bytes live. CPU is always present; CUDA only when built with
// GENLAB_CUDA=ON and a device is found (see core/backend.h).
#pragma once

#include <string>

namespace genlab {

enum class Device { cpu, cuda };

inline std::string device_str(Device d) { return d == Device::cpu ? "cpu" : "cuda"; }

}  // namespace genlab
