#include "genlab/experiments/cli/catalog.h"

#include <sstream>
#include <stdexcept>

#include "genlab/experiments/experiment_config.h"
#include "genlab/experiments/data/datasets.h"
#include "genlab/experiments/families/family.h"
#include "genlab/experiments/families/registry.h"
#include "genlab/samplers/process.h"
#include "genlab/samplers/sampler.h"
#include "genlab/samplers/time_grid.h"

namespace genlab {
namespace {

// "key (default), key (default)" of an options struct, or "none".
std::string keys_of(const ChosenOptions& options) {
  if (options.empty()) return "none";
  ConfigReference r;
  options.reference(r);
  std::string s;
  for (const auto& row : r.rows()) s += (s.empty() ? "" : ", ") + row.key + " (" + row.default_value + ")";
  return s.empty() ? "none" : s;
}

std::string samplers() {
  std::ostringstream out;
  size_t width = 8;
  for (const auto& name : sampler_names()) width = std::max(width, name.size() + 1);
  auto column = [](std::string s, size_t w) { return s + std::string(w > s.size() ? w - s.size() : 1, ' '); };
  out << column("sampler", width) << column("steps", 7) << column("order", 7) << column("NFE (N steps)", 15)
      << "options (defaults)\n";
  for (const auto& name : sampler_names()) {
    const std::string opts = describe_sampler_options(name);
    const bool adaptive = sampler_is_adaptive(name);
    const std::string steps = adaptive ? "adapt" : std::to_string(default_steps(name));
    const double p = sampler_order(name);
    std::string order = p > 0 ? std::to_string(static_cast<int>(p)) : "sde";
    // NFE as a formula in N, read off the registry's count at two step counts.
    std::string nfe = "adaptive";
    if (!adaptive) {
      const int64_t a = sampler_nfe(name, 11) - sampler_nfe(name, 10), b = sampler_nfe(name, 10) - 10 * a;
      // Appended piece by piece: GCC 12 warns (-Wrestrict, bug 105651) on one long sum.
      std::ostringstream f;
      if (a != 1) f << a;
      f << "N";
      if (b != 0) f << (b > 0 ? "+" : "") << b;
      nfe = f.str();
    }
    out << column(name, width) << column(steps, 7) << column(order, 7) << column(nfe, 15)
        << (opts.empty() ? "-" : opts) << "\n    " << sampler_doc(name) << "\n";
  }
  out << "order: of the global error in the steps (deterministic samplers, at these defaults; flow "
         "grid: at most 2); sde: stochastic, converges in distribution.\n";
  out << "Every sampler also takes: steps, grid, rho, shift, final_step (denoise | euler), "
         "precision (float32 | float64), noise (independent | brownian_tree; stochastic "
         "samplers), name.\n";
  return out.str();
}

std::string grids() {
  std::ostringstream out;
  out << "grids: ";
  for (const auto& g : time_grid_kinds()) out << g << " ";
  out << "\norder caps (a sampler's order on the grid is at most this, in the usual step counts):";
  for (const auto& g : time_grid_kinds())
    if (grid_order_cap(g) < 100) out << " " << g << " " << grid_order_cap(g) << ";";
  out << "\n(rho: the edm grid's exponent, default 7; shift: the flow grid's, default 1)\n"
      << "default grid per process:";
  for (const auto& p : process_names()) out << " " << p << " -> " << default_grid_kind(p) << ";";
  out << "\n";
  return out.str();
}

}  // namespace

std::string list_catalog(const std::string& what) {
  if (what == "samplers") return samplers();
  if (what == "grids") return grids();
  std::ostringstream out;
  if (what == "datasets") {
    for (const auto& d : dataset_specs())
      out << d.name << ": " << d.doc << "\n    keys: " << keys_of(d.defaults) << "\n";
    return out.str();
  }
  if (what == "families") {
    for (const auto& f : family_specs())
      out << f.name << ": " << f.doc << "\n    keys: " << keys_of(f.defaults) << "\n";
    return out.str();
  }
  throw std::invalid_argument("genlab list: unknown '" + what +
                              "' (samplers, grids, datasets, families)");
}

}  // namespace genlab
