#include "genlab/core/nn/module.h"

#include <stdexcept>

namespace genlab {

void Module::check_new_name(const std::string& name) const {
  if (name.empty() || name.find('.') != std::string::npos)
    throw std::invalid_argument("Module: invalid name '" + name + "' (non-empty, no dots)");
  auto taken = [&](const auto& list) {
    for (const auto& [n, _] : list)
      if (n == name) return true;
    return false;
  };
  if (taken(parameters_) || taken(buffers_) || taken(children_))
    throw std::invalid_argument("Module: name '" + name + "' registered twice");
}

Tensor Module::register_parameter(const std::string& name, Tensor value) {
  check_new_name(name);
  value.requires_grad_(true);
  parameters_.emplace_back(name, value);
  return value;
}

Tensor Module::register_buffer(const std::string& name, Tensor value) {
  check_new_name(name);
  buffers_.emplace_back(name, value);
  return value;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> module) {
  check_new_name(name);
  if (!module) throw std::invalid_argument("Module: submodule '" + name + "' is null");
  children_.emplace_back(name, std::move(module));
}

void Module::collect(const std::string& prefix, bool buffers, NamedTensors& out) const {
  for (const auto& [name, t] : buffers ? buffers_ : parameters_) out.emplace_back(prefix + name, t);
  for (const auto& [name, child] : children_) child->collect(prefix + name + ".", buffers, out);
}

NamedTensors Module::named_parameters() const {
  NamedTensors out;
  collect("", false, out);
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [_, t] : named_parameters()) out.push_back(t);
  return out;
}

NamedTensors Module::named_buffers() const {
  NamedTensors out;
  collect("", true, out);
  return out;
}

int64_t Module::num_parameters() const {
  int64_t n = 0;
  for (const auto& [_, t] : named_parameters()) n += t.numel();
  return n;
}

NamedTensors Module::trainable_parameters() const {
  NamedTensors out;
  for (const auto& [n, t] : named_parameters())
    if (t.requires_grad()) out.emplace_back(n, t);
  return out;
}

int64_t Module::num_trainable_parameters() const {
  int64_t n = 0;
  for (const auto& [_, t] : trainable_parameters()) n += t.numel();
  return n;
}

void Module::freeze() {
  for (auto& [_, t] : named_parameters()) t.requires_grad_(false);
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [_, child] : children_) child->train(on);
}

void Module::zero_grad() {
  for (auto& [_, t] : named_parameters()) t.zero_grad();
}

std::map<std::string, Tensor> Module::state_dict() const {
  std::map<std::string, Tensor> out;
  for (auto& [n, t] : named_parameters()) out[n] = t;
  for (auto& [n, t] : named_buffers()) out[n] = t;
  return out;
}

void Module::load_state_dict(const std::map<std::string, Tensor>& state) {
  std::map<std::string, Tensor> mine = state_dict();
  for (const auto& [name, value] : state) {
    auto it = mine.find(name);
    if (it == mine.end()) throw std::invalid_argument("load_state_dict: unexpected entry '" + name + "'");
    if (it->second.shape() != value.shape())
      throw std::invalid_argument("load_state_dict: '" + name + "' has shape " +
                                  shape_str(value.shape()) + ", expected " +
                                  shape_str(it->second.shape()));
  }
  for (auto& [name, target] : mine) {
    auto it = state.find(name);
    if (it == state.end()) throw std::invalid_argument("load_state_dict: missing entry '" + name + "'");
    target.copy_(it->second);
  }
}

}  // namespace genlab
