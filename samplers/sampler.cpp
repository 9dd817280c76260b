#include "genlab/samplers/sampler.h"

#include <cmath>
#include <stdexcept>

#include "genlab/samplers/sampler_registry.h"

namespace genlab {
namespace {

// Every sampler: the rows of each sampler file, in order.
const std::vector<SamplerEntry>& table() {
  static const std::vector<SamplerEntry> entries = [] {
    std::vector<SamplerEntry> all = ode_sampler_entries();
    for (const auto& e : sde_sampler_entries()) all.push_back(e);
    return all;
  }();
  return entries;
}

const SamplerEntry& find(const std::string& name) {
  for (const auto& e : table())
    if (e.name == name) return e;
  std::string allowed;
  for (const auto& e : table()) allowed += (allowed.empty() ? "" : ", ") + e.name;
  throw std::invalid_argument("unknown sampler '" + name + "' (allowed: " + allowed + ")");
}

// Defaults overridden by params; an unknown key is an error naming the allowed ones.
SamplerParams resolve(const SamplerEntry& e, const SamplerParams& params) {
  SamplerParams out = e.defaults;
  for (const auto& [key, value] : params) {
    if (!out.count(key)) {
      std::string allowed;
      for (const auto& [k, v] : e.defaults) allowed += (allowed.empty() ? "" : ", ") + k;
      throw std::invalid_argument("sampler '" + e.name + "' has no option '" + key +
                                  "' (allowed: " + (allowed.empty() ? "none" : allowed) + ")");
    }
    out[key] = value;
  }
  return out;
}

}  // namespace

void require_sampler_option(bool ok, const std::string& sampler, const std::string& what) {
  if (!ok) throw std::invalid_argument("sampler '" + sampler + "': " + what);
}

const std::vector<std::string>& final_step_names() {
  static const std::vector<std::string> names{"denoise", "euler"};
  return names;
}

FinalStep parse_final_step(const std::string& name) {
  if (name == "denoise") return FinalStep::denoise;
  if (name == "euler") return FinalStep::euler;
  throw std::invalid_argument("unknown final_step '" + name + "' (allowed: denoise, euler)");
}

const std::vector<std::string>& sampler_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& e : table()) n.push_back(e.name);
    return n;
  }();
  return names;
}

SamplerParams sampler_defaults(const std::string& name) {
  return find(name).defaults;
}
int default_steps(const std::string& name) {
  return find(name).steps;
}
std::string sampler_doc(const std::string& name) {
  return find(name).doc;
}
bool sampler_is_adaptive(const std::string& name) {
  return find(name).adaptive;
}

std::unique_ptr<Sampler> make_sampler(const std::string& name, const SamplerParams& params,
                                      FinalStep final_step) {
  const SamplerEntry& e = find(name);
  const SamplerParams o = resolve(e, params);
  for (const auto& [k, v] : o)
    require_sampler_option(std::isfinite(v), name, "option '" + k + "' must be finite");
  return e.make(o, final_step);
}

}  // namespace genlab
