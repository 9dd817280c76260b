// The model families by name. Each row carries the family's options (whose fields() are
// the `model:` keys beside `family`), the process it samples under (for the sampler
// variants' default grid), and its factory. Built-in families are rows of the table in
// registry.cpp; a program or test adds its own with register_family, and then `run`,
// `sample`, `compare` and resume work with it unchanged.
//
//   register_family({.name = "gaussian", .doc = "...", .defaults = ChosenOptions::of(MyOptions{}),
//                    .make = [](const FamilyContext& c) { return std::make_unique<MyFamily>(c); }});
// (a family's own file includes family.h, which defines Family and FamilyContext)
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "genlab/experiments/config/schema.h"

namespace genlab {

// The registry names what a family is made from; it needs neither definition, so the
// config (which reads the rows' options) does not depend on family.h and its config.
class Family;
struct FamilyContext;

struct FamilySpec {
  std::string name, doc;
  ChosenOptions defaults;  // the options struct with its defaults; empty: no keys
  // The process a family samples under, from its options; empty function or "": none.
  std::function<std::string(const ChosenOptions&)> process;
  std::function<std::unique_ptr<Family>(const FamilyContext&)> make;
  bool trainable = true;  // false: train.steps is 0 whatever the config says
  // The classes a family's model is conditioned on, from its options (the sampler
  // variants' labels and guidance are checked against it); empty function or 0: none.
  std::function<int64_t(const ChosenOptions&)> classes{};
  // `genlab run --smoke`: overrides of the family's own keys that shrink its results
  // (IWAE's k, sample counts) for the quick form (smoke.h); empty function: none.
  std::function<std::vector<std::string>(const ChosenOptions&)> smoke{};
};

// Adds a family (or replaces the one of the same name).
void register_family(FamilySpec spec);
const std::vector<FamilySpec>& family_specs();
std::vector<std::string> family_names();
const FamilySpec& find_family(const std::string& name);  // the error lists the names

// The built-in rows (one file each).
FamilySpec diffusion_family_spec();
FamilySpec analytic_family_spec();
FamilySpec autoregressive_family_spec();
FamilySpec vae_family_spec();
FamilySpec classifier_family_spec();

}  // namespace genlab
