// The helpers family.h declares for every family: named streams, optimizer state in a
// checkpoint, and checked access to a TrainingState.
#include "genlab/experiments/families/family.h"

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
