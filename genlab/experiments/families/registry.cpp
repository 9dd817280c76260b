#include "genlab/experiments/families/family.h"
#include "genlab/experiments/families/registry.h"

#include <stdexcept>

namespace genlab {
namespace {

std::vector<FamilySpec>& table() {
  static std::vector<FamilySpec> t{diffusion_family_spec(), analytic_family_spec(),
                                   autoregressive_family_spec(), vae_family_spec(),
                                   classifier_family_spec()};
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

}  // namespace genlab
