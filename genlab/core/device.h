// Where a tensor's bytes live. CPU is always present; CUDA when libgenlab_cuda.so was
// built (nvcc found) and a driver and GPU are present (see genlab/core/backend.h).
#pragma once

#include <string>

namespace genlab {

enum class Device { cpu, cuda };

inline std::string device_str(Device d) { return d == Device::cpu ? "cpu" : "cuda"; }

// The device that factories use when none is named (Tensor::zeros(shape), a Generator's
// draws): the CPU unless a DefaultDevice scope says otherwise, as torch.set_default_device.
// The runner opens one for the config's `device`, so model code that builds constants
// without naming a device builds them where the model lives. Process-wide, not per
// thread: OpenMP workers see the same default as the thread that set it.
Device default_device();

class DefaultDevice {
 public:
  explicit DefaultDevice(Device device);
  ~DefaultDevice();
  DefaultDevice(const DefaultDevice&) = delete;
  DefaultDevice& operator=(const DefaultDevice&) = delete;

 private:
  Device previous_;
};

// "cpu", "cuda" or "cuda:N" (N >= 0); throws std::invalid_argument naming the text.
struct DeviceSpec {
  Device device = Device::cpu;
  int index = 0;
  std::string str() const {
    return device == Device::cpu ? "cpu" : "cuda:" + std::to_string(index);
  }
};
DeviceSpec parse_device(const std::string& text);

}  // namespace genlab
