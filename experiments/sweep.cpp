#include "genlab/experiments/sweep.h"

#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "genlab/experiments/config/experiment_config.h"
#include "genlab/experiments/config/yaml_section.h"
#include "genlab/experiments/runner.h"

namespace genlab {

namespace {

// "1,2,3" -> {"1", "2", "3"}. A comma inside quotes ('a,b' or "a,b") or brackets ([1, 2])
// does not split, so paths and lists can be swept; an empty value is an error.
std::vector<std::string> sweep_values(const std::string& override_text, const std::string& list) {
  std::vector<std::string> values{""};
  int depth = 0;
  char quote = 0;
  for (const char ch : list) {
    if (quote) {
      if (ch == quote) quote = 0;
    } else if (ch == '\'' || ch == '"') {
      quote = ch;
    } else if (ch == '[' || ch == '{') {
      ++depth;
    } else if ((ch == ']' || ch == '}') && depth > 0) {
      --depth;
    } else if (ch == ',' && depth == 0) {
      values.emplace_back();
      continue;
    }
    values.back() += ch;
  }
  if (quote || depth) throw ConfigError("override '" + override_text + "': unbalanced quote or bracket");
  for (const auto& v : values)
    if (v.find_first_not_of(" \t") == std::string::npos)
      throw ConfigError("override '" + override_text + "': empty value in the sweep list");
  return values;
}

}  // namespace

std::vector<std::vector<std::string>> expand_sweep(const std::vector<std::string>& overrides) {
  std::vector<std::vector<std::string>> points{{}};
  for (const auto& o : overrides) {
    const auto eq = o.find('=');
    if (eq == std::string::npos || eq == 0)
      throw ConfigError("override '" + o + "': expected key.path=value");
    const std::vector<std::string> values = sweep_values(o, o.substr(eq + 1));
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

namespace {

// The sweep's folder (its own, new) or stem, and each point's run file within it.
struct SweepLayout {
  std::string index;
  std::vector<std::string> files;
};

SweepLayout lay_out(const ExperimentConfig& base, size_t points, bool overwrite) {
  namespace fs = std::filesystem;
  SweepLayout l;
  auto number = [](size_t i) {
    std::ostringstream s;
    s << std::setw(3) << std::setfill('0') << i;
    return s.str();
  };
  if (base.output.path.empty()) {
    const fs::path parent = fs::path(base.output.folder) / base.name;
    fs::create_directories(parent);
    const std::time_t t = std::time(nullptr);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "multirun_%Y-%m-%d_%H-%M-%S", std::gmtime(&t));
    fs::path dir;
    for (int n = 0;; ++n) {
      dir = parent / (n == 0 ? std::string(stamp) : std::string(stamp) + "_" + std::to_string(n));
      if (fs::create_directory(dir)) break;
    }
    l.index = (dir / "index.tsv").string();
    for (size_t i = 0; i < points; ++i) l.files.push_back((dir / number(i) / "run.h5").string());
    return l;
  }
  std::string stem = base.output.path;
  if (stem.size() > 3 && stem.substr(stem.size() - 3) == ".h5") stem.resize(stem.size() - 3);
  l.index = stem + "_index.tsv";
  for (size_t i = 0; i < points; ++i) l.files.push_back(stem + "_" + number(i) + ".h5");
  if (!overwrite)
    for (const auto& f : std::vector<std::string>{l.index, l.files[0]})
      if (fs::exists(f))
        throw std::runtime_error(f + " exists: an earlier sweep wrote there; nothing was "
                                 "written. Choose --overwrite, another output.path, or none "
                                 "(the sweep then gets its own folder)");
  const fs::path dir = fs::path(l.index).parent_path();
  if (!dir.empty()) fs::create_directories(dir);
  return l;
}

}  // namespace

std::string run_sweep(const std::string& config_path, const std::vector<std::string>& overrides,
                      std::ostream& out, const SweepOptions& options) {
  const auto points = expand_sweep(overrides);
  const ExperimentConfig base =
      load_experiment_config(config_path, overrides.empty() ? overrides : points[0]);
  std::vector<ExperimentConfig> configs;
  for (const auto& p : points) configs.push_back(load_experiment_config(config_path, p));
  const SweepLayout layout = lay_out(base, points.size(), options.overwrite);
  std::ofstream idx(layout.index);
  if (!idx) throw std::runtime_error(layout.index + ": cannot write the sweep index");
  const std::filesystem::path index_dir = std::filesystem::path(layout.index).parent_path();
  for (size_t i = 0; i < configs.size(); ++i) {
    out << "=== sweep point " << i + 1 << "/" << configs.size() << ":";
    for (const auto& o : points[i]) out << " " << o;
    out << "\n";
    configs[i].output.path = layout.files[i];
    RunOptions run;
    run.overwrite = options.overwrite, run.command_line = options.command_line;
    const auto r = run_experiment(configs[i], out, run);
    idx << std::filesystem::relative(layout.files[i], index_dir.empty() ? "." : index_dir).string();
    for (const auto& o : points[i]) idx << "\t" << o;
    idx << "\n" << std::flush;
    if (r.status != "completed")
      throw std::runtime_error("sweep stopped: point " + std::to_string(i + 1) + " " + r.status);
  }
  out << "sweep index: " << layout.index << "\n";
  return layout.index;
}

}  // namespace genlab
