#include "genlab/experiments/families/registry.h"

#include <stdexcept>

namespace genlab {
namespace {

std::vector<FamilySpec>& table() {
  static std::vector<FamilySpec> t{diffusion_family_spec(), analytic_family_spec(),
                                   autoregressive_family_spec(), vae_family_spec()};
  return t;
}

}  // namespace

void register_family(FamilySpec spec) {
  for (auto& s : table())
    if (s.name == spec.name) {
      s = std::move(spec);
      return;
    }
  table().push_back(std::move(spec));
}

const std::vector<FamilySpec>& family_specs() {
  return table();
}

std::vector<std::string> family_names() {
  std::vector<std::string> names;
  for (const auto& s : table()) names.push_back(s.name);
  return names;
}

const FamilySpec& find_family(const std::string& name) {
  for (const auto& s : table())
    if (s.name == name) return s;
  std::string names;
  for (const auto& s : table()) names += (names.empty() ? "" : ", ") + s.name;
  throw std::invalid_argument("unknown model family '" + name + "' (available: " + names + ")");
}

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
