#include "genlab/core/device.h"

#include <atomic>
#include <cctype>
#include <stdexcept>

namespace genlab {
namespace {
std::atomic<Device> default_device_value{Device::cpu};
}

Device default_device() { return default_device_value.load(std::memory_order_relaxed); }

DefaultDevice::DefaultDevice(Device device) : previous_(default_device_value.exchange(device)) {}
DefaultDevice::~DefaultDevice() { default_device_value.store(previous_); }

DeviceSpec parse_device(const std::string& text) {
  if (text == "cpu") return {Device::cpu, 0};
  if (text == "cuda") return {Device::cuda, 0};
  if (text.rfind("cuda:", 0) == 0 && text.size() > 5 && text.size() < 9) {
    bool digits = true;
    for (size_t i = 5; i < text.size(); ++i) digits = digits && std::isdigit(static_cast<unsigned char>(text[i]));
    if (digits) return {Device::cuda, std::stoi(text.substr(5))};
  }
  throw std::invalid_argument("device '" + text + "': expected cpu, cuda or cuda:N");
}

}  // namespace genlab
