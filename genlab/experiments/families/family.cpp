// The helpers family.h declares for every family: named streams, optimizer state in a
// checkpoint, and checked access to a TrainingState.
#include "genlab/experiments/families/family.h"

#include <charconv>
#include <stdexcept>

namespace genlab {

const std::vector<std::string>& runner_stream_names() {
  static const std::vector<std::string> names{"data",     "noise",    "epochs", "reference",
                                              "sampling", "held_out", "probes"};
  return names;
}

Generator FamilyContext::stream(const std::string& name) const {
  for (const auto& n : runner_stream_names())
    if (n == name)
      throw std::logic_error("family stream '" + name + "' is one of the runner's own streams");
  return root.derive(name);
}

TrainStep FamilyContext::train_step(const NamedTensors& trainable, AdamOptions adam, bool decoupled) const {
  adam.lr = static_cast<float>(train.lr);
  std::vector<Tensor> tensors;
  for (const auto& [name, t] : trainable) tensors.push_back(t);
  std::unique_ptr<Optimizer> optimizer;
  if (decoupled)
    optimizer = std::make_unique<AdamW>(trainable, adam);
  else
    optimizer = std::make_unique<Adam>(trainable, adam);
  return TrainStep(std::move(optimizer), std::move(tensors),
                   {.grad_clip = static_cast<float>(train.grad_clip)});
}

NamedTensorMap flatten_optimizer_state(const OptimizerState& state) {
  NamedTensorMap flat;
  for (const auto& [param, named] : state.slots)
    for (const auto& [name, t] : named) flat[param + "|" + name] = t;
  return flat;
}

OptimizerState unflatten_optimizer_state(const NamedTensorMap& flat, int64_t step) {
  OptimizerState state;
  state.step = step;
  for (const auto& [key, t] : flat) {
    const auto bar = key.rfind('|');
    state.slots[key.substr(0, bar)][key.substr(bar + 1)] = t;
  }
  return state;
}

void save_optimizer(const Optimizer& optimizer, TrainingState& state) {
  const OptimizerState o = optimizer.state_dict();
  state.tensors["optimizer"] = flatten_optimizer_state(o);
  state.attrs["optimizer_step"] = std::to_string(o.step);
}

void load_optimizer(Optimizer& optimizer, const TrainingState& state) {
  optimizer.load_state_dict(unflatten_optimizer_state(state_group(state, "optimizer"),
                                                      state_count(state, "optimizer_step")));
}

int64_t state_count(const TrainingState& s, const std::string& name) {
  const std::string& text = state_attr(s, name);
  int64_t n = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 0)
    throw std::runtime_error("checkpoint: attribute '" + name + "' is '" + text + "', not a count");
  return n;
}

const std::string& state_attr(const TrainingState& s, const std::string& name) {
  const auto it = s.attrs.find(name);
  if (it == s.attrs.end())
    throw std::runtime_error("checkpoint: attribute '" + name + "' is missing");
  return it->second;
}

const NamedTensorMap& state_group(const TrainingState& s, const std::string& name) {
  const auto it = s.tensors.find(name);
  if (it == s.tensors.end()) throw std::runtime_error("checkpoint: group '" + name + "' is missing");
  return it->second;
}

}  // namespace genlab
