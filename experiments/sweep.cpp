#include "experiments/sweep.h"

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "experiments/config/experiment_config.h"
#include "experiments/config/yaml_section.h"
#include "experiments/runner.h"

namespace genlab {

std::vector<std::vector<std::string>> expand_sweep(const std::vector<std::string>& overrides) {
  std::vector<std::vector<std::string>> points{{}};
  for (const auto& o : overrides) {
    const auto eq = o.find('=');
    if (eq == std::string::npos || eq == 0)
      throw ConfigError("override '" + o + "': expected key.path=value");
    std::vector<std::string> values;
    std::stringstream ss(o.substr(eq + 1));
    for (std::string v; std::getline(ss, v, ',');) values.push_back(v);
    if (values.empty() || o.back() == ',')
      throw ConfigError("override '" + o + "': empty value in the sweep list");
    std::vector<std::vector<std::string>> next;
    for (const auto& p : points)
      for (const auto& v : values) {
        next.push_back(p);
        next.back().push_back(o.substr(0, eq) + "=" + v);
      }
    points.swap(next);
  }
  return points;
}

std::string run_sweep(const std::string& config_path, const std::vector<std::string>& overrides,
                      std::ostream& out) {
  const auto points = expand_sweep(overrides);
  const ExperimentConfig base =
      load_experiment_config(config_path, overrides.empty() ? overrides : points[0]);
  std::string stem = base.output.path;
  if (stem.size() > 3 && stem.substr(stem.size() - 3) == ".h5") stem.resize(stem.size() - 3);
  std::vector<ExperimentConfig> configs;
  for (size_t i = 0; i < points.size(); ++i) {
    std::ostringstream file;
    file << stem << "_" << std::setw(3) << std::setfill('0') << i << ".h5";
    auto o = points[i];
    o.push_back("output.path=" + file.str());
    configs.push_back(load_experiment_config(config_path, o));
  }
  const std::string index = stem + "_index.tsv";
  const std::filesystem::path dir = std::filesystem::path(index).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir);
  std::ofstream idx(index);
  if (!idx) throw std::runtime_error(index + ": cannot write the sweep index");
  for (size_t i = 0; i < configs.size(); ++i) {
    out << "=== sweep point " << i + 1 << "/" << configs.size() << ":";
    for (const auto& o : points[i]) out << " " << o;
    out << "\n";
    const auto r = run_experiment(configs[i], out);
    idx << std::filesystem::path(configs[i].output.path).filename().string();
    for (const auto& o : points[i]) idx << "\t" << o;
    idx << "\n" << std::flush;
    if (r.status != "completed")
      throw std::runtime_error("sweep stopped: point " + std::to_string(i + 1) + " " + r.status);
  }
  out << "sweep index: " << index << "\n";
  return index;
}

}  // namespace genlab
