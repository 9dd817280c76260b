#include "samplers/sampler.h"

#include <stdexcept>

#include "samplers/ode_samplers.h"
#include "samplers/sde_samplers.h"

namespace genlab {
namespace {

struct Entry {
  std::string name;
  SamplerParams defaults;
  int steps;  // default step count
};

// One table: names, their options with defaults, and default step counts.
const std::vector<Entry>& table() {
  static const std::vector<Entry> entries{
      {"euler", {}, 100},
      {"heun", {}, 18},
      {"ddim", {}, 100},
      {"dpmpp_2m", {}, 25},
      {"rk4", {}, 10},
      {"rk45", {{"rtol", 1e-5}, {"atol", 1e-5}, {"max_steps", 100000}}, 2},
      {"edm_stochastic",
       {{"S_churn", 40}, {"S_tmin", 0.05}, {"S_tmax", 50}, {"S_noise", 1.003}},
       64},
      {"euler_maruyama", {}, 250},
      {"euler_ancestral", {{"eta", 1.0}}, 400},
      {"pc", {{"snr", 0.16}, {"corrector_steps", 1}}, 250},
  };
  return entries;
}

const Entry& find(const std::string& name) {
  for (const auto& e : table())
    if (e.name == name) return e;
  std::string allowed;
  for (const auto& e : table()) allowed += (allowed.empty() ? "" : ", ") + e.name;
  throw std::invalid_argument("unknown sampler '" + name + "' (allowed: " + allowed + ")");
}

// Defaults overridden by params; an unknown key is an error naming the allowed ones.
SamplerParams resolve(const Entry& e, const SamplerParams& params) {
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

void require(bool ok, const std::string& sampler, const std::string& what) {
  if (!ok) throw std::invalid_argument("sampler '" + sampler + "': " + what);
}

}  // namespace

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

std::unique_ptr<Sampler> make_sampler(const std::string& name, const SamplerParams& params) {
  const Entry& e = find(name);
  const SamplerParams o = resolve(e, params);
  if (name == "euler") return make_euler_sampler();
  if (name == "heun") return make_heun_sampler();
  if (name == "ddim") return make_ddim_sampler();
  if (name == "dpmpp_2m") return make_dpmpp_2m_sampler();
  if (name == "rk4") return make_rk4_sampler();
  if (name == "rk45") {
    require(o.at("rtol") > 0 && o.at("atol") >= 0 && o.at("max_steps") >= 1, name,
            "needs rtol > 0, atol >= 0 and max_steps >= 1");
    return make_rk45_sampler({.rtol = o.at("rtol"),
                              .atol = o.at("atol"),
                              .max_steps = static_cast<int64_t>(o.at("max_steps"))});
  }
  if (name == "edm_stochastic") {
    const EdmStochasticOptions so{o.at("S_churn"), o.at("S_tmin"), o.at("S_tmax"), o.at("S_noise")};
    require(so.S_churn >= 0 && so.S_noise > 0 && so.S_tmin <= so.S_tmax, name,
            "needs S_churn >= 0, S_noise > 0 and S_tmin <= S_tmax");
    return make_edm_stochastic_sampler(so);
  }
  if (name == "euler_maruyama") return make_euler_maruyama_sampler();
  if (name == "euler_ancestral") {
    require(o.at("eta") >= 0, name, "needs eta >= 0");
    return make_euler_ancestral_sampler(o.at("eta"));
  }
  // pc
  const double steps = o.at("corrector_steps");
  require(o.at("snr") > 0 && steps >= 0 && steps == static_cast<int>(steps), name,
          "needs snr > 0 and a whole corrector_steps >= 0");
  return make_pc_sampler({o.at("snr"), static_cast<int>(steps)});
}

}  // namespace genlab
