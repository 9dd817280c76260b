#include "genlab/samplers/sampler.h"

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

// D = 0 at the cost of `like`: what a sampler's NFE count needs of a model.
class ZeroDenoiser final : public Denoiser {
 public:
  explicit ZeroDenoiser(const Denoiser& like) : like_(like) {}
  Tensor denoise(const Tensor& x, const Tensor&) const override { return Tensor::zeros_like(x); }
  int64_t dims() const override { return like_.dims(); }
  int evaluations_at(double sigma) const override { return like_.evaluations_at(sigma); }

 private:
  const Denoiser& like_;
};

std::string owner(const std::string& name) {
  std::string s = "sampler '";
  s += name;
  s += "'";
  return s;
}

}  // namespace

const std::vector<std::string>& names_of(FinalStep) {
  static const std::vector<std::string> names{"denoise", "euler"};
  return names;
}
const std::vector<std::string>& names_of(NoiseKind) {
  static const std::vector<std::string> names{"independent", "brownian_tree"};
  return names;
}
const std::vector<std::string>& final_step_names() {
  return names_of(FinalStep{});
}
const std::vector<std::string>& noise_kind_names() {
  return names_of(NoiseKind{});
}

namespace {
// The generic choice reading (core/options.h), with the setting's name in the error.
template <class E>
E named(const char* setting, const std::string& name) {
  try {
    return value_of<E>(name);
  } catch (const std::invalid_argument&) {
    throw std::invalid_argument(std::string("unknown ") + setting + " '" + name + "' (allowed: " +
                                joined_names(names_of(E{})) + ")");
  }
}
}  // namespace

FinalStep parse_final_step(const std::string& name) {
  return named<FinalStep>("final_step", name);
}
NoiseKind parse_noise_kind(const std::string& name) {
  return named<NoiseKind>("noise", name);
}

const std::vector<std::string>& sampler_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& e : table()) n.push_back(e.name);
    return n;
  }();
  return names;
}

AnyOptions sampler_defaults(const std::string& name) {
  return find(name).defaults;
}
AnyOptions sampler_options(const std::string& name, const SamplerParams& params) {
  AnyOptions o = find(name).defaults;
  set_options(o, params, owner(name));
  return o;
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

double sampler_order(const std::string& name, const AnyOptions& options) {
  return find(name).order(options);
}
double sampler_order(const std::string& name, const SamplerParams& params) {
  return sampler_order(name, sampler_options(name, params));
}
int64_t sampler_nfe(const std::string& name, int64_t steps, const AnyOptions& options) {
  return find(name).nfe(steps, options);
}
int64_t sampler_nfe(const std::string& name, int64_t steps, const SamplerParams& params) {
  return sampler_nfe(name, steps, sampler_options(name, params));
}

std::string sampler_grid_warning(const std::string& name, const std::string& grid) {
  for (const auto& g : find(name).unstable_grids)
    if (g == grid)
      return "sampler '" + name + "' is unstable on the " + grid +
             " grid (its error grows or stalls as the steps grow; tests/samplers/test_sampler_product.cpp): "
             "use another grid";
  return "";
}

std::string describe_sampler_options(const std::string& name, const std::string& assign,
                                     const std::string& bar) {
  std::string opts;
  for (const auto& k : option_keys(sampler_defaults(name))) {
    std::string o = k.key + assign + k.value;
    for (size_t c = 0; c < k.names.size(); ++c)
      o += (c == 0 ? " (" : bar) + k.names[c] + (c + 1 == k.names.size() ? ")" : "");
    opts += (opts.empty() ? "" : ", ") + o;
  }
  if (sampler_takes_noise(name)) opts += std::string(opts.empty() ? "" : "; ") + "takes noise: brownian_tree";
  return opts;
}

int64_t expected_nfe(const std::string& sampler_name, const Sampler& sampler, const Denoiser& like,
                     const Process& process, const std::vector<double>& t) {
  if (sampler_is_adaptive(sampler_name)) return -1;
  const ZeroDenoiser zero(like);
  return sampler.sample(zero, process, t, Tensor::zeros({1, like.dims()})).nfe;
}

std::unique_ptr<Sampler> make_sampler(const std::string& name, const AnyOptions& options,
                                      const SamplerSettings& settings) {
  const SamplerEntry& e = find(name);
  if (!options.same_kind(e.defaults)) throw std::invalid_argument(owner(name) + ": given another sampler's options");
  check_options(options, owner(name));
  if (settings.noise != NoiseKind::independent && !e.noise)
    throw std::invalid_argument(owner(name) +
                                ": takes no noise: brownian_tree (it has no noise drawn per interval of sigma)");
  return e.make(options, settings);
}

std::unique_ptr<Sampler> make_sampler(const std::string& name, const SamplerParams& params,
                                      const SamplerSettings& settings) {
  return make_sampler(name, sampler_options(name, params), settings);
}

std::unique_ptr<Sampler> make_sampler(const std::string& name, const SamplerParams& params,
                                      FinalStep final_step) {
  return make_sampler(name, params, SamplerSettings{.final_step = final_step});
}

}  // namespace genlab
