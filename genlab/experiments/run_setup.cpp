#include "genlab/experiments/run_setup.h"

#include <unistd.h>

#include <cstdint>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "genlab/core/device.h"
#include "genlab/core/parallel.h"
#include "genlab/experiments/run/checkpoint.h"
#include "genlab/experiments/run/run_log.h"
#include "genlab/experiments/run/run_status.h"

namespace genlab {
namespace {

// "2026-11-30_07-12-45" (UTC), for folder names.
std::string utc_stamp() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d_%H-%M-%S", std::gmtime(&t));
  return buf;
}

// The attributes a reader uses to describe an existing run file, for error messages.
std::string describe_existing(const std::string& path) {
  try {
    const auto a = RunFile::open(path).attrs();
    std::string d = "a run";
    if (a.count("status")) d += " whose status is '" + effective_status(a) + "'";
    if (a.count("created_utc")) d += ", created " + a.at("created_utc");
    return d;
  } catch (const std::exception&) {
    return "a file that is not a readable run file";
  }
}

}  // namespace

namespace {

// A new run at `path` writes its log at log_path_for(path) (run_log.h). That file may be
// replaced only when it is a log genlab wrote for this run file: one naming the path, or
// the log of the run an --overwrite replaces. A user's file or another run's log stays.
void check_log_is_free(const std::string& path, bool overwrite) {
  namespace fs = std::filesystem;
  const std::string log = log_path_for(path);
  if (fs::path(log).lexically_normal() == fs::path(path).lexically_normal())
    throw std::runtime_error("output.path " + path + ": the run's log would be the run file itself (" + log +
                             "); name the run file .h5");
  std::error_code ec;
  // Absent, or empty (nothing to lose: `genlab run ... > RUN.log` creates it before the run starts).
  if (!fs::exists(log, ec) || fs::file_size(log, ec) == 0) return;
  std::ifstream in(log, std::ios::binary);
  std::string head(16384, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  // genlab's log lines open with an ISO time stamp: 2026-12-07T14:20:30.123
  const bool genlab_log = head.size() > 24 && head[4] == '-' && head[7] == '-' && head[10] == 'T' && head[13] == ':';
  const bool ours = genlab_log && (head.find("-> " + path) != std::string::npos || (overwrite && fs::exists(path, ec)));
  if (!ours)
    throw std::runtime_error(log + " exists and is not the log of " + path +
                             (genlab_log ? " (another run's log)" : " (not a genlab log)") +
                             "; the run would replace it, so nothing was written: move it, or choose another output.path");
}

}  // namespace

std::string place_new_run(const ExperimentConfig& c, bool overwrite) {
  namespace fs = std::filesystem;
  if (!c.output.path.empty()) {
    if (fs::exists(c.output.path) && !overwrite)
      throw std::runtime_error(
          c.output.path + " exists (" + describe_existing(c.output.path) +
          "); nothing was written. Choose: --overwrite to replace it, --resume " + c.output.path +
          " to continue or extend it, another output.path, or none (each run then gets its "
          "own folder under " + c.output.folder + "/" + c.name + "/)");
    check_log_is_free(c.output.path, overwrite);
    const fs::path parent = fs::path(c.output.path).parent_path();
    if (!parent.empty()) fs::create_directories(parent);
    return c.output.path;
  }
  const fs::path base = fs::path(c.output.folder) / c.name;
  fs::create_directories(base);
  const std::string stamp = utc_stamp();
  for (int n = 0; n < 10000; ++n) {
    const fs::path dir = base / (n == 0 ? stamp : stamp + "_" + std::to_string(n));
    std::error_code ec;
    if (!fs::create_directory(dir, ec)) {  // exists (another run this second): next suffix
      if (ec) throw std::runtime_error(dir.string() + ": cannot create the run's folder (" + ec.message() + ")");
      continue;
    }
    // `latest` points at the newest run; a file or folder of that name that is not genlab's
    // link is the user's and stays (the run then says where it is without it).
    const fs::path latest = base / "latest";
    const auto st = fs::symlink_status(latest, ec);
    if (!fs::exists(st) || fs::is_symlink(st)) {
      fs::remove(latest, ec);
      fs::create_directory_symlink(dir.filename(), latest, ec);  // best effort
    }
    return (dir / "run.h5").string();
  }
  throw std::runtime_error(base.string() + ": no free run folder for " + stamp);
}

ExperimentConfig stored_config(const std::string& run_path, const std::vector<std::string>& overrides) {
  const auto attrs = RunFile::open(run_path).attrs();
  return parse_experiment_config(RunFile::config_yaml(attrs, run_path), run_path + " (stored config)", overrides);
}

RunFile create_run_file(const ExperimentConfig& c, const std::string& path,
                        const std::string& command_line) {
  ExperimentConfig stored = c;
  stored.output.path = path;
  const std::string yaml = to_yaml(stored);
  RunFile file = RunFile::create(path,
                                 {{"genlab_version", "0.1.0"},
                                  {"git_commit", git_commit()},
                                  {"git_dirty", git_dirty() ? "true" : "false"},
                                  {"created_utc", utc_now()},
                                  {"host", host_name()},
                                  {"name", c.name},
                                  {"command_line", command_line}},
                                 yaml);
  try {
    file.batch([&] {
      if (c.seed <= static_cast<uint64_t>(INT64_MAX))
        file.set_attr("seed", static_cast<int64_t>(c.seed));
      else  // past int64: as text, exactly
        file.set_attr("seed", std::to_string(c.seed));
      file.set_attr("threads", static_cast<int64_t>(num_threads()));
      file.set_attr("pid", static_cast<int64_t>(getpid()));
    });
  } catch (const std::exception& e) {  // a full disk: the new file says so
    try {
      file.record_failure(e.what());
    } catch (...) {
    }
    throw;
  }
  if (c.output.path.empty()) {  // the run's own folder: the config and command beside it
    const std::filesystem::path dir = std::filesystem::path(path).parent_path();
    std::ofstream(dir / "config.yaml") << yaml;
    std::ofstream(dir / "command.txt") << command_line << "\n";
  }
  return file;
}

namespace {
void mark_resumed(RunFile& file, const std::map<std::string, std::string>& attrs, const ExperimentConfig& c,
                  std::ostream& out, int world_size, const std::string& given_yaml, const std::string& accepted);
}  // namespace

RunFile open_for_resume(const std::string& path, const ExperimentConfig& c, std::ostream& out,
                        int world_size) {
  RunFile file = RunFile::open(path);
  const auto attrs = file.attrs();
  const std::string stored_yaml = RunFile::config_yaml(attrs, path);
  ExperimentConfig given = c;
  given.output.path = path;
  const std::string given_yaml = to_yaml(given);
  const ExperimentConfig stored = parse_experiment_config(stored_yaml, path + " (stored config)");
  // The stored config re-resolved: keys a later genlab added (with their defaults) are
  // then no difference, so a run file written before them still resumes.
  ExperimentConfig stored_here = stored;
  stored_here.output.path = path;
  std::string refused, accepted;
  bool extends = false, reevaluates = false;
  for (const auto& ch : config_changes(to_yaml(stored_here), given_yaml)) {
    const std::string line = "  " + ch.key + ": stored " + ch.stored + ", given " + ch.given + "\n";
    const bool longer = (ch.key == "train.steps" && c.train.steps > stored.train.steps) ||
                        (ch.key == "train.epochs" && c.train.epochs > stored.train.epochs);
    if (ch.key.rfind("output.", 0) == 0) continue;
    // Evaluation and the sampler variants come after training: a finished or failed run
    // takes new ones (its results are made again from its trained weights).
    const bool evaluation = ch.key.rfind("evaluate.", 0) == 0 || ch.key.rfind("samplers", 0) == 0;
    if (longer || evaluation || ch.key == "threads" || ch.key == "device") {
      accepted += line;
      extends = extends || longer;
      reevaluates = reevaluates || evaluation;
    } else {
      refused += line;
    }
  }
  if (!refused.empty())
    throw std::runtime_error(path + ": resume needs the run's own config; these keys differ:\n" +
                             refused +
                             "(only a larger train.steps or train.epochs, evaluate.*, samplers, threads and device "
                             "may change)");
  if (effective_status(attrs) == "completed" && !extends && !reevaluates)
    throw std::runtime_error(path + ": the run completed; nothing to resume (to extend it, "
                             "resume with a larger train.steps or train.epochs; to evaluate it again, with "
                             "changed evaluate.* keys or samplers)");
  if (!has_checkpoint(file))
    throw std::runtime_error(path +
                             ": no checkpoint to resume from (the run stopped before its first "
                             "checkpoint); start it again without --resume");
  if (!accepted.empty()) out << "resuming with changes:\n" << accepted;
  // Every mark of the resume in one write: a full disk refuses all of them, and the file
  // stays as it was.
  file.batch([&] { mark_resumed(file, attrs, c, out, world_size, given_yaml, accepted); });
  return file;
}

namespace {

void mark_resumed(RunFile& file, const std::map<std::string, std::string>& attrs, const ExperimentConfig& c,
                  std::ostream& out, int world_size, const std::string& given_yaml, const std::string& accepted) {
  const std::string threads = std::to_string(num_threads());
  if (attrs.count("threads") && attrs.at("threads") != threads) {
    out << "note: the run had " << attrs.at("threads") << " threads, this one has " << threads
        << ": its numbers will not be bitwise those of an uninterrupted run\n";
    file.set_attr("resume_bitwise", "no: threads " + attrs.at("threads") + " -> " + threads);
  }
  const std::string device_was = attrs.count("device") ? attrs.at("device") : "cpu";
  if (device_was != parse_device(c.device).str()) {
    out << "note: the run was on " << device_was << ", this one is on " << c.device
        << ": the checkpoint holds host values and loads anywhere, but the numbers will "
           "not be bitwise those of an uninterrupted run\n";
    file.set_attr("resume_bitwise", "no: device " + device_was + " -> " + parse_device(c.device).str());
  }
  const std::string was = attrs.count("world_size") ? attrs.at("world_size") : "1";
  if (was != std::to_string(world_size)) {
    out << "note: the run had " << was << " data-parallel ranks, this one has " << world_size
        << ": the same global batches, but its numbers will not be bitwise those of an "
           "uninterrupted run\n";
    file.set_attr("resume_bitwise", "no: world_size " + was + " -> " + std::to_string(world_size));
  }
  file.set_attr("config_yaml", given_yaml);
  if (!accepted.empty())
    file.set_attr("resume_changes", (attrs.count("resume_changes") ? attrs.at("resume_changes") : "") + accepted);
  file.set_attr("resumed_utc", utc_now());
  file.set_attr("pid", static_cast<int64_t>(getpid()));
  file.set_attr("threads", static_cast<int64_t>(num_threads()));
  file.set_attr("error", "");
  file.set_status("running");
}

}  // namespace

}  // namespace genlab
