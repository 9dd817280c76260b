#include "genlab/experiments/cli/sweep.h"

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "genlab/experiments/experiment_config.h"
#include "genlab/experiments/cli/slurm_script.h"
#include "genlab/experiments/config/yaml_section.h"
#include "genlab/experiments/cli/runner.h"

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

namespace {

void write_index_row(std::ofstream& idx, const std::filesystem::path& index_dir, const std::string& file,
                     const std::vector<std::string>& point) {
  idx << std::filesystem::relative(file, index_dir.empty() ? "." : index_dir).string();
  for (const auto& o : point) idx << "\t" << o;
  idx << "\n" << std::flush;
}

// The Slurm array job (slurm_script.h): task i runs point i into its file. Paths are
// absolute, so the script runs from anywhere.
std::string sweep_slurm_script(const std::string& config_path, const std::vector<std::vector<std::string>>& points,
                               const std::vector<ExperimentConfig>& configs, const SweepLayout& layout,
                               const std::string& script, const SweepOptions& options) {
  namespace fs = std::filesystem;
  SlurmJob job;
  for (const auto& c : configs) job.threads = std::max(job.threads, c.threads);
  job.auto_threads = configs[0].threads == 0;
  job.config_path = fs::absolute(config_path).string();
  job.script = fs::absolute(script).string();
  job.index = fs::absolute(layout.index).string();
  job.command_line = options.command_line;
  job.name = configs[0].name;
  job.log_dir = fs::absolute(fs::path(layout.index)).parent_path().string();
  job.workdir = fs::current_path().string();
  job.binary = options.genlab_binary;
  job.points = points;
  for (const auto& f : layout.files) job.files.push_back(fs::absolute(f).string());
  job.time = options.slurm_time, job.mem = options.slurm_mem, job.partition = options.slurm_partition;
  try {
    return slurm_script(job);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(e.what());
  }
}

// The layout as one message (rank 0 creates it; the others learn it).
std::string pack_layout(const SweepLayout& l) {
  std::string s = l.index;
  for (const auto& f : l.files) s += "\n" + f;
  return s;
}
SweepLayout unpack_layout(const std::string& s) {
  SweepLayout l;
  std::istringstream in(s);
  std::getline(in, l.index);
  for (std::string f; std::getline(in, f);) l.files.push_back(f);
  return l;
}

// The array job's script beside the index: <folder>/sweep.slurm, or <stem>_sweep.slurm
// for an output.path.
std::string slurm_script_path(const SweepLayout& layout) {
  return layout.index.substr(0, layout.index.size() - std::string("index.tsv").size()) + "sweep.slurm";
}

// --emit slurm (rank 0): the array job's script and the index of the points it will run.
std::string emit_slurm(const std::string& config_path, const std::vector<std::vector<std::string>>& points,
                       const std::vector<ExperimentConfig>& configs, const SweepLayout& layout,
                       const SweepOptions& options, std::ostream& out) {
  const std::filesystem::path index_dir = std::filesystem::path(layout.index).parent_path();
  const std::string script = slurm_script_path(layout);
  // The script first: a value it cannot take is refused before anything is written.
  const std::string text = sweep_slurm_script(config_path, points, configs, layout, script, options);
  std::ofstream idx(layout.index);
  for (size_t i = 0; i < points.size(); ++i) write_index_row(idx, index_dir, layout.files[i], points[i]);
  std::ofstream f(script);
  f << text;
  f.close();
  if (!idx || !f) throw std::runtime_error(script + ": cannot write the Slurm script or its index");
  std::filesystem::permissions(script, std::filesystem::perms::owner_exec, std::filesystem::perm_options::add);
  out << "Slurm array job of " << points.size() << " points: " << script << " (submit with: sbatch " << script
      << ")\nsweep index: " << layout.index << "\n";
  return script;
}

// Several ranks: every rank's "i status" lines gathered; rank 0 writes the index of the
// completed points, and every rank throws, naming the others, when one did not complete.
void gather_sweep_statuses(const Communicator& comm, const std::string& statuses, const SweepLayout& layout,
                           const std::vector<std::vector<std::string>>& points) {
  const std::filesystem::path index_dir = std::filesystem::path(layout.index).parent_path();
  std::vector<std::string> status(points.size(), "not run");
  for (const auto& part : comm.allgather(statuses)) {
    std::istringstream in(part);
    for (std::string line; std::getline(in, line);) {
      const auto sp = line.find(' ');
      status[std::stoul(line.substr(0, sp))] = line.substr(sp + 1);
    }
  }
  std::string failed;
  std::ofstream idx;
  if (comm.rank() == 0) idx.open(layout.index);
  for (size_t i = 0; i < points.size(); ++i) {
    if (status[i] == "completed") {
      if (comm.rank() == 0) write_index_row(idx, index_dir, layout.files[i], points[i]);
    } else {
      failed += "\n  point " + std::to_string(i + 1) + " (rank " + std::to_string(i % comm.size()) + "): " + status[i];
    }
  }
  if (comm.rank() == 0 && !idx) throw std::runtime_error(layout.index + ": cannot write the sweep index");
  if (!failed.empty())
    throw std::runtime_error("sweep over " + std::to_string(comm.size()) + " ranks: not every point completed (the "
                             "index lists those that did):" + failed);
}

}  // namespace

std::string run_sweep(const std::string& config_path, const std::vector<std::string>& overrides,
                      std::ostream& out, const SweepOptions& options) {
  const Communicator& comm = options.comm ? *options.comm : world();
  const auto points = expand_sweep(overrides);
  const ExperimentConfig base =
      load_experiment_config(config_path, overrides.empty() ? overrides : points[0]);
  std::vector<ExperimentConfig> configs;
  for (const auto& p : points) configs.push_back(load_experiment_config(config_path, p));
  if (!options.emit.empty() && options.emit != "slurm")
    throw ConfigError("--emit " + options.emit + ": the one script genlab writes is 'slurm'");
  std::string packed;
  if (comm.rank() == 0) packed = pack_layout(lay_out(base, points.size(), options.overwrite));
  comm.broadcast(packed, 0);
  const SweepLayout layout = unpack_layout(packed);
  const std::filesystem::path index_dir = std::filesystem::path(layout.index).parent_path();
  if (options.emit == "slurm")
    return comm.rank() == 0 ? emit_slurm(config_path, points, configs, layout, options, out)
                            : slurm_script_path(layout);

  // Point i runs on rank i mod K, as one process; rank 0 prints its own points' progress.
  std::ostringstream silent;
  std::ostream& mine = comm.rank() == 0 ? out : silent;
  std::ofstream idx;
  if (comm.size() == 1) {
    idx.open(layout.index);
    if (!idx) throw std::runtime_error(layout.index + ": cannot write the sweep index");
  }
  std::string statuses;  // "i status" lines of this rank's points
  for (size_t i = static_cast<size_t>(comm.rank()); i < configs.size(); i += static_cast<size_t>(comm.size())) {
    mine << "=== sweep point " << i + 1 << "/" << configs.size();
    if (comm.size() > 1) mine << " (rank " << comm.rank() << " of " << comm.size() << ")";
    mine << ":";
    for (const auto& o : points[i]) mine << " " << o;
    mine << "\n";
    configs[i].output.path = layout.files[i];
    RunOptions run;
    run.overwrite = options.overwrite, run.command_line = options.command_line;
    run.comm = &single_process();
    if (comm.size() == 1) {
      const auto r = run_experiment(configs[i], mine, run);
      write_index_row(idx, index_dir, layout.files[i], points[i]);
      if (r.status != "completed")
        throw std::runtime_error("sweep stopped: point " + std::to_string(i + 1) + " " + r.status);
      continue;
    }
    // Several ranks: a failed point must not leave the others waiting at the gather.
    std::string status;
    try {
      status = run_experiment(configs[i], mine, run).status;
    } catch (const std::exception& e) {
      status = std::string("failed (") + e.what() + ")";
    }
    for (char& ch : status)
      if (ch == '\n') ch = ' ';
    statuses += std::to_string(i) + " " + status + "\n";
  }
  if (comm.size() > 1) gather_sweep_statuses(comm, statuses, layout, points);
  mine << "sweep index: " << layout.index << "\n";
  return layout.index;
}

}  // namespace genlab
