#include "genlab/samplers/sampler.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "genlab/samplers/sampler_registry.h"

namespace genlab {
namespace {

// Every sampler: the rows of each sampler file, in order.
const std::vector<SamplerEntry>& table() {
  static const std::vector<SamplerEntry> entries = [] {
    std::vector<SamplerEntry> all;
    for (const auto* rows : {&ode_sampler_entries(), &multistep_sampler_entries(),
                             &dpm_solver_sampler_entries(), &adaptive_sampler_entries(),
                             &sde_sampler_entries(), &restart_sampler_entries()})
      all.insert(all.end(), rows->begin(), rows->end());
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

const std::vector<std::string>& noise_kind_names() {
  static const std::vector<std::string> names{"independent", "brownian_tree"};
  return names;
}

NoiseKind parse_noise_kind(const std::string& name) {
  if (name == "independent") return NoiseKind::independent;
  if (name == "brownian_tree") return NoiseKind::brownian_tree;
  throw std::invalid_argument("unknown noise '" + name + "' (allowed: independent, brownian_tree)");
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
bool sampler_takes_noise(const std::string& name) {
  return find(name).noise;
}

double sampler_order(const std::string& name, const SamplerParams& params) {
  const SamplerEntry& e = find(name);
  return e.order(resolve(e, params));
}
int64_t sampler_nfe(const std::string& name, int64_t steps, const SamplerParams& params) {
  const SamplerEntry& e = find(name);
  return e.nfe(steps, resolve(e, params));
}

std::string sampler_grid_warning(const std::string& name, const SamplerParams& params, const std::string& grid) {
  const SamplerEntry& e = find(name);
  const SamplerParams o = resolve(e, params);
  for (const auto& g : e.unstable_grids)
    if (g == grid)
      return "sampler '" + name + "' is unstable on the " + grid +
             " grid (its error grows or stalls as the steps grow; tests/samplers/test_sampler_product.cpp): "
             "use another grid";
  return "";
}

std::vector<std::string> sampler_option_choices(const std::string& name, const std::string& option) {
  const auto& c = find(name).choices;
  const auto it = c.find(option);
  return it == c.end() ? std::vector<std::string>{} : it->second;
}

double parse_sampler_option(const std::string& name, const std::string& option,
                            const std::string& text) {
  const auto choices = sampler_option_choices(name, option);
  for (size_t k = 0; k < choices.size(); ++k)
    if (choices[k] == text) return static_cast<double>(k);
  std::string allowed;
  for (const auto& c : choices) allowed += (allowed.empty() ? "" : ", ") + c;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (!text.empty() && *end == '\0' && (choices.empty() || (v >= 0 && v < choices.size() && v == std::floor(v))))
    return v;
  throw std::invalid_argument("sampler '" + name + "': option '" + option + "' " +
                              (choices.empty() ? "must be a number, not '" + text + "'"
                                               : "must be one of " + allowed + ", not '" + text + "'"));
}

std::string describe_sampler_options(const std::string& name, const std::string& assign,
                                     const std::string& bar) {
  std::string opts;
  for (const auto& [k, v] : sampler_defaults(name)) {
    std::string o = k + assign + sampler_option_text(name, k, v);
    const auto choices = sampler_option_choices(name, k);
    for (size_t c = 0; c < choices.size(); ++c)
      o += (c == 0 ? " (" : bar) + choices[c] + (c + 1 == choices.size() ? ")" : "");
    opts += (opts.empty() ? "" : ", ") + o;
  }
  if (sampler_takes_noise(name)) opts += std::string(opts.empty() ? "" : "; ") + "takes noise: brownian_tree";
  return opts;
}

std::string sampler_option_text(const std::string& name, const std::string& option, double value) {
  const auto choices = sampler_option_choices(name, option);
  if (!choices.empty() && value >= 0 && value < choices.size() && value == std::floor(value))
    return choices[static_cast<size_t>(value)];
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15g", value);
  return buf;
}

std::unique_ptr<Sampler> make_sampler(const std::string& name, const SamplerParams& params,
                                      const SamplerSettings& settings) {
  const SamplerEntry& e = find(name);
  const SamplerParams o = resolve(e, params);
  for (const auto& [k, v] : o) {
    require_sampler_option(std::isfinite(v), name, "option '" + k + "' must be finite");
    const auto c = e.choices.find(k);
    if (c != e.choices.end())
      require_sampler_option(v >= 0 && v < c->second.size() && v == std::floor(v), name,
                             "option '" + k + "' must be one of its named values");
  }
  require_sampler_option(settings.noise == NoiseKind::independent || e.noise, name,
                         "takes no noise: brownian_tree (it has no noise drawn per interval of "
                         "sigma)");
  return e.make(o, settings);
}

std::unique_ptr<Sampler> make_sampler(const std::string& name, const SamplerParams& params,
                                      FinalStep final_step) {
  return make_sampler(name, params, SamplerSettings{.final_step = final_step});
}

}  // namespace genlab
