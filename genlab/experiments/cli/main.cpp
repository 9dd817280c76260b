// The genlab command line (docs/DESIGN.md contract 1): run, sample, validate, info,
// compare, report, list, config --reference. Exit codes: 0 success, 1 failure, 2 usage error, 130
// interrupted; errors go to stderr, results to stdout.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "genlab/core/backend.h"
#include "genlab/core/distributed/communicator.h"
#include "genlab/core/parallel.h"
#include "genlab/experiments/experiment_config.h"
#include "genlab/experiments/cli/catalog.h"
#include "genlab/experiments/config/yaml_section.h"
#include "genlab/experiments/report/report.h"
#include "genlab/experiments/run/run_lock.h"
#include "genlab/experiments/eval/variants_table.h"
#include "genlab/experiments/run/run_file.h"
#include "genlab/experiments/run/run_status.h"
#include "genlab/experiments/cli/runner.h"
#include "genlab/experiments/cli/smoke.h"
#include "genlab/experiments/cli/sweep.h"
#include "genlab/experiments/run_setup.h"

namespace {

// The last row of /<group>, one line: "nll_nats 103.2, bits_per_dim 0.19".
std::string last_row(const genlab::RunFile& f, const std::string& group) {
  std::string s;
  for (const auto& [col, values] : f.read_columns(group))
    if (!values.empty() && col != "step")
      s += (s.empty() ? "" : ", ") + col + " " + genlab::format_number(values.back());
  return s;
}

int cmd_info(const std::string& path) {
  const genlab::RunFile f = genlab::RunFile::open(path);
  const auto attrs = f.attrs();
  const std::string config_yaml = genlab::RunFile::config_yaml(attrs, path);
  const std::string status = genlab::effective_status(attrs);
  std::cout << path << "\n  status: " << status << "\n";
  for (const char* k : {"name", "created_utc", "resumed_utc", "git_commit", "git_dirty", "host",
                        "pid", "seed", "threads", "device", "device_name", "world_size", "parameters", "resume_bitwise", "command_line",
                        "error"})
    if (attrs.count(k) && !attrs.at(k).empty())
      std::cout << "  " << k << ": " << attrs.at(k) << "\n";
  if (const std::string holder = genlab::lock_holder(path); !holder.empty())
    std::cout << "  lock: " << holder << "\n";
  {
    const auto c = genlab::flatten_config(config_yaml);
    std::cout << "  model: " << (c.count("model.family") ? c.at("model.family") : "?")
              << (c.count("model.process") ? " (" + c.at("model.process") + ")" : "")
              << ", data: " << (c.count("data.name") ? c.at("data.name") : "?") << "\n";
  }
  const auto train = f.read_columns("train");
  if (train.count("step") && !train.at("step").empty())
    std::cout << "  /train: " << train.at("step").size() << " rows, last step "
              << train.at("step").back() << ", loss " << train.at("loss").back() << "\n";
  const auto eval = f.read_columns("eval");
  if (eval.count("step")) std::cout << "  /eval: " << eval.at("step").size() << " rows\n";
  std::cout << "  /model: " << (f.exists("/model") ? "yes" : "no")
            << ", /model/ema: " << (f.exists("/model/ema") ? "yes" : "no") << "\n";
  for (const char* group : {"test", "likelihood"})
    if (const std::string s = last_row(f, group); !s.empty())
      std::cout << "  /" << group << ": " << s << "\n";
  const auto rows = f.read_summary();
  std::cout << "  /variants: " << rows.size() << "\n";
  if (!rows.empty()) std::cout << "\n" << genlab::format_variants_table(rows);
  return status == "completed" ? 0 : 1;
}

// What a user who typed an unknown command most likely meant.
std::string suggest_command(const std::string& word) {
  static const std::map<std::string, std::string> meant{
      {"train", "run"},   {"fit", "run"},     {"start", "run"},        {"launch", "run"},
      {"resume", "run"},  {"eval", "info"},   {"evaluate", "info"},    {"show", "info"},
      {"status", "info"}, {"inspect", "info"}, {"plot", "report"},     {"html", "report"},
      {"check", "validate"}, {"lint", "validate"}, {"generate", "sample"}, {"samples", "sample"},
      {"diff", "compare"}, {"samplers", "list"}, {"help", "--help"}};
  static const std::map<std::string, std::string> usage{
      {"run", "genlab run CONFIG trains, evaluates and samples (genlab run --resume RUN continues one)"},
      {"info", "genlab info RUN shows what a run file holds"},
      {"report", "genlab report RUN... -o report.html draws a run's charts and samples"},
      {"validate", "genlab validate CONFIG checks a config"},
      {"sample", "genlab sample RUN --sampler NAME adds a sampler variant to a run"},
      {"compare", "genlab compare RUN... puts runs' variants in one table"},
      {"list", "genlab list samplers|grids|datasets|families shows what a config can name"},
      {"config", "genlab config --reference lists every config key"},
      {"--help", "genlab --help lists the commands"}};
  auto it = meant.find(word);
  std::string guess = it != meant.end() ? it->second : "";
  if (guess.empty()) {
    std::vector<std::string> names;
    for (const auto& [name, text] : usage) names.push_back(name);
    guess = genlab::did_you_mean(word, names);
  }
  if (guess.empty()) return "the commands: run, validate, sample, info, compare, report, list, config (genlab --help)";
  return "did you mean '" + guess + "'? " + usage.at(guess);
}

// Every subcommand's arguments, filled by CLI11.
struct Args {
  std::string config, resume, sort, run, sampler, section, emit, device, output = "report.html";
  std::string slurm_time, slurm_mem, slurm_partition;
  std::vector<std::string> overrides, runs, settings;
  bool resolved = false, csv = false, over_seeds = false, multirun = false, reference = false, overwrite = false,
       smoke = false;
  std::string command_line;
  int threads = -1;
  std::string list_what;
  CLI::App *run_cmd, *validate_cmd, *sample_cmd, *info_cmd, *compare_cmd, *report_cmd, *config_cmd,
      *list_cmd;
};

void add_run_and_validate(CLI::App& app, Args& a) {
  a.run_cmd = app.add_subcommand("run", "Train, evaluate and sample as CONFIG says; writes one run file");
  a.run_cmd->add_option("config", a.config,
                        "experiment YAML (with --resume: optional, the run's stored config is used)");
  a.run_cmd->add_option("overrides", a.overrides, "dotted overrides, e.g. train.steps=200");
  a.run_cmd->add_flag("--smoke", a.smoke,
                      "the config's quick form: every phase at small sizes, about a minute on 2 "
                      "cores, in runs/<name>_smoke/ (the config's `smoke:` list adds to it)");
  a.run_cmd->add_flag("--multirun", a.multirun,
                      "sweep: comma-separated override values, Cartesian product");
  a.run_cmd->add_option("--emit", a.emit,
                        "with --multirun: write a cluster job script instead of running "
                        "(slurm: an array job, one task per point, beside the sweep's index)")
      ->check(CLI::IsMember({"slurm"}));
  a.run_cmd->add_option("--slurm-time", a.slurm_time, "--emit slurm: #SBATCH --time (e.g. 2:00:00)");
  a.run_cmd->add_option("--slurm-mem", a.slurm_mem, "--emit slurm: #SBATCH --mem (e.g. 16G)");
  a.run_cmd->add_option("--slurm-partition", a.slurm_partition, "--emit slurm: #SBATCH --partition");
  a.run_cmd->add_option("--resume", a.resume,
                        "continue this run (RUN.h5, its folder or a `latest` link) from its "
                        "checkpoint, with its stored config; overrides change it (a larger "
                        "train.steps or train.epochs extends a finished run)")
      ->check(CLI::ExistingPath);
  a.run_cmd->add_flag("--overwrite", a.overwrite,
                      "replace an existing output.path (refused while another process writes it)");
  a.run_cmd->add_option("--device", a.device, "cpu, cuda or cuda:N, as the `device:` key");
  a.run_cmd->add_option("--threads", a.threads, "OpenMP threads, as the `threads:` key (0: auto, one thread for small nets, the free "
                      "cores for GEMM-heavy ones)")
      ->check(CLI::Range(0, 1024));
  a.run_cmd->footer(
      "Where it goes: without output.path, a new folder runs/<name>/<UTC date>_<time>/ with "
      "run.h5, config.yaml, command.txt and run.log (runs/<name>/latest points to the newest); "
      "an existing output.path is refused unless --overwrite. A run holds RUN.h5.lock while it "
      "writes; a second writer fails at once.");
  a.validate_cmd = app.add_subcommand("validate", "Check a config (and overrides) without running it");
  a.validate_cmd->add_option("config", a.config, "experiment YAML")
      ->required()
      ->check(CLI::ExistingFile);
  a.validate_cmd->add_option("overrides", a.overrides, "dotted overrides");
  a.validate_cmd->add_flag("--resolved", a.resolved, "print the config with every default filled in");
  a.validate_cmd->add_flag("--smoke", a.smoke, "check (or print) the config's quick form, as run --smoke");
}

void add_readers(CLI::App& app, Args& a) {
  a.sample_cmd = app.add_subcommand("sample", "Add a sampler variant to an existing run file");
  a.sample_cmd->add_option("run", a.run, "run file (.h5), or its folder")->required()->check(CLI::ExistingPath);
  a.sample_cmd->add_option("--sampler", a.sampler, "sampler name")->required();
  a.sample_cmd->add_option("--threads", a.threads,
                           "OpenMP threads (default: the run's `threads:` key, applied as genlab run does; 0: auto)")
      ->check(CLI::Range(0, 1024));
  a.sample_cmd->add_option("--device", a.device,
                           "cpu, cuda or cuda:N to sample on (default: the run's `device:`)");
  a.sample_cmd->add_option("settings", a.settings, "key=value: " + genlab::joined_names(genlab::variant_keys()) + ", or a sampler option");
  a.info_cmd = app.add_subcommand("info", "What a run file holds (exit 1 unless it completed)");
  a.info_cmd->add_option("run", a.run, "run file (.h5), or its folder")->required()->check(CLI::ExistingPath);
  a.compare_cmd = app.add_subcommand("compare", "A table of variants x metrics across run files");
  a.compare_cmd->add_option("runs", a.runs, "run files (.h5), or their folders")->required()->check(CLI::ExistingPath);
  a.compare_cmd->add_flag("--csv", a.csv, "CSV instead of an aligned table");
  a.compare_cmd->add_option("--sort", a.sort, "sort rows by this number column (ascending)");
  a.compare_cmd->add_flag("--over-seeds", a.over_seeds,
                          "pool runs that differ only in their seed: each variant's mean and 95% interval over the seeds");
  a.compare_cmd->footer(
      "Columns: each run's family, data, process and seed, the config keys that differ between "
      "the runs, then per variant: steps (- for rk45, which chooses its own), nfe, wall_s, and "
      "distances of its samples to fresh data: sliced_wasserstein, mmd (squared MMD) and energy "
      "(energy distance). The last two are unbiased estimates, so they can be slightly negative "
      "when the distributions agree to within the estimate's noise. rk45_distance: the rms "
      "distance of the variant's first 1000 samples to an rk45 solution (rtol 1e-6) from the "
      "same noise, i.e. its discretization error alone; - marks a value not computed. Each metric "
      "shows its interval as value ±half-width (evaluate.bootstrap, evaluate.confidence; in CSV the "
      "columns <metric>_lo and <metric>_hi), and lines under the table say which variants it cannot "
      "tell from the best. Runs without variants "
      "(autoregressive, VAE) show their /test results: nll_nats, neg_elbo_nats, bits_per_dim.");
  a.report_cmd = app.add_subcommand(
      "report", "One self-contained HTML page of run files: error against NFE, samples, curves, config");
  a.report_cmd->add_option("runs", a.runs, "run files (.h5), or their folders")->required()->check(CLI::ExistingPath);
  a.report_cmd->add_option("-o,--output", a.output, "the HTML file to write")->capture_default_str();
  a.report_cmd->add_flag("--overwrite", a.overwrite,
                         "replace an existing output that is not a genlab report (a run file given is never replaced)");
  a.list_cmd = app.add_subcommand("list", "What a config can name, with options and defaults");
  a.list_cmd->add_option("what", a.list_what, "samplers, grids, datasets or families")
      ->required()
      ->check(CLI::IsMember({"samplers", "grids", "datasets", "families"}));
  a.config_cmd = app.add_subcommand(
      "config", "Print the key reference: every key, its type, default, allowed values");
  a.config_cmd->add_flag("--reference", a.reference, "the key reference (markdown tables)")->required();
  a.config_cmd->add_option("section", a.section,
                           "only this section: top, data, model, train, evaluate, samplers, output, "
                           "\"model (family: vae)\", ...");
}

// The config of `run` and `validate`: the file with the overrides, or with --resume and no
// file the run's stored config; with --smoke its quick form (smoke.h), the user's
// overrides still last.
genlab::ExperimentConfig config_of(Args& a) {
  namespace fs = std::filesystem;
  // `genlab run --resume RUN train.steps=3000`: CLI11 hands the first override to `config`.
  if (!a.config.empty() && a.config.find('=') != std::string::npos && !fs::exists(a.config)) {
    a.overrides.insert(a.overrides.begin(), a.config);
    a.config.clear();
  }
  if (a.config.empty() && a.resume.empty())
    throw genlab::ConfigError(
        "run: give a config file (genlab run configs/quickstart.yaml) or the run to continue "
        "(genlab run --resume runs/quickstart/latest)");
  if (!a.config.empty() && !fs::is_regular_file(a.config))
    throw genlab::ConfigError(a.config + ": no such config file");
  if (a.smoke && !a.resume.empty())
    throw genlab::ConfigError("--smoke starts a new run (its quick form); --resume continues one "
                              "with its stored config");
  auto load = [&](const std::vector<std::string>& overrides) {
    return a.config.empty() ? genlab::stored_config(a.resume, overrides)
                            : genlab::load_experiment_config(a.config, overrides);
  };
  if (!a.smoke) return load(a.overrides);
  std::vector<std::string> quick = genlab::smoke_overrides(load(a.overrides));
  quick.insert(quick.end(), a.overrides.begin(), a.overrides.end());
  return load(quick);
}

// Runs the chosen subcommand; its exit code.
int dispatch(Args& a) {
  if (*a.run_cmd && a.threads >= 0) a.overrides.push_back("threads=" + std::to_string(a.threads));
  if (*a.run_cmd && !a.device.empty()) a.overrides.push_back("device=" + a.device);
  if (!a.resume.empty()) a.resume = genlab::resolve_run_path(a.resume);
  if (!a.run.empty()) a.run = genlab::resolve_run_path(a.run);
  for (auto& r : a.runs) r = genlab::resolve_run_path(r);
  if (*a.run_cmd && a.emit != "slurm" && !(a.slurm_time + a.slurm_mem + a.slurm_partition).empty())
    throw genlab::ConfigError("--slurm-time, --slurm-mem and --slurm-partition go with --emit slurm");
  if (*a.run_cmd && a.multirun) {
    if (!a.resume.empty()) throw genlab::ConfigError("--multirun and --resume do not combine");
    if (a.config.empty()) throw genlab::ConfigError("--multirun needs a config file");
    if (a.smoke) {  // every point's quick form (the base config's; the sweep's values win)
      std::vector<std::string> quick = genlab::smoke_overrides(genlab::load_experiment_config(a.config));
      a.overrides.insert(a.overrides.begin(), quick.begin(), quick.end());
    }
    genlab::SweepOptions o{.overwrite = a.overwrite, .command_line = a.command_line, .emit = a.emit};
    o.slurm_time = a.slurm_time, o.slurm_mem = a.slurm_mem, o.slurm_partition = a.slurm_partition;
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);  // the script runs this binary
    if (!ec) o.genlab_binary = self.string();
    genlab::run_sweep(a.config, a.overrides, std::cout, o);
    return 0;
  }
  if (*a.run_cmd && !a.emit.empty()) throw genlab::ConfigError("--emit needs --multirun (it writes a sweep's job script)");
  if (*a.run_cmd) {
    const auto c = config_of(a);
    const auto r = genlab::run_experiment(c, std::cout, {a.resume, a.overwrite, a.command_line});
    return r.status == "completed" ? 0 : (r.status == "interrupted" ? 130 : 1);
  }
  if (*a.validate_cmd) {
    const auto c = config_of(a);
    for (const auto& note : c.notes) std::cerr << "note: " << note << "\n";
    if (a.resolved)
      std::cout << genlab::to_yaml(c);
    else
      std::cout << a.config << ": ok (" << c.samplers.size() << " sampler variants)\n";
    return 0;
  }
  if (*a.info_cmd) return cmd_info(a.run);
  if (*a.sample_cmd) {
    genlab::add_variant(a.run, a.sampler, a.settings, std::cout, a.device, a.threads);
    return 0;
  }
  if (*a.compare_cmd) {
    std::cout << genlab::compare_runs(a.runs, a.csv, a.sort, a.over_seeds);
    return 0;
  }
  if (*a.report_cmd) {
    const size_t bytes = genlab::write_report(a.runs, a.output, a.overwrite);
    std::cout << a.output << ": " << a.runs.size() << " run" << (a.runs.size() > 1 ? "s" : "") << ", "
              << bytes / 1024 << " KiB\n";
    return 0;
  }
  if (*a.list_cmd) {
    std::cout << genlab::list_catalog(a.list_what);
    return 0;
  }
  std::cout << genlab::config_reference(a.section);
  return 0;
}

}  // namespace

// An error under MPI ends every rank of the job: a rank left waiting in a collective for
// this one would otherwise hang until the job's time limit.
// " (rank r of K)" in a data-parallel job, so an error says which process met it.
std::string rank_tag() {
  const genlab::Communicator& comm = genlab::world();
  if (comm.size() == 1) return "";
  return " (rank " + std::to_string(comm.rank()) + " of " + std::to_string(comm.size()) + ")";
}

int fail(int code) {
  const genlab::Communicator& comm = genlab::world();
  if (comm.size() > 1) {
    std::cerr << std::flush;
    comm.abort(code);
  }
  return code;
}

int main(int argc, char** argv) {
  // Line by line even into a pipe (`genlab run ... | tee log`): progress as it happens.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  try {
    genlab::init_world(&argc, &argv);
  } catch (const std::exception& e) {
    std::cerr << "genlab: error: " << e.what() << "\n";
    return 1;
  }
  CLI::App app{
      "genlab: generative-modeling experiments (diffusion / flow matching, autoregressive, VAE, "
      "exact analytic references)"};
  app.footer(
      "Start with: genlab run configs/quickstart.yaml (2-D diffusion, 15 s). Images: genlab run "
      "configs/edm_fmnist.yaml (class-conditional diffusion on Fashion-MNIST with guidance; add --smoke "
      "for its 20 s quick form first). Other families: configs/made_fmnist.yaml, "
      "configs/transformer_fmnist.yaml, configs/vae_fmnist.yaml (configs/README.md lists all). "
      "Every config key and its default: genlab config --reference, or genlab validate CONFIG --resolved.");
  app.set_version_flag("--version", "genlab 0.1.0");
  app.require_subcommand(1);
  Args args;
  for (int i = 0; i < argc; ++i)  // as typed, for the run file (quoted where a shell would need it)
    args.command_line += (i ? " " : "") + (std::string(argv[i]).find_first_of(" \t'\"$") == std::string::npos
                                               ? std::string(argv[i])
                                               : "'" + std::string(argv[i]) + "'");
  add_run_and_validate(app, args);
  add_readers(app, args);
  const auto is_command = [&](const std::string& word) {
    for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; }))
      if (sub->get_name() == word) return true;
    return false;
  };
  if (argc > 1 && argv[1][0] != '-' && !is_command(argv[1])) {
    std::cerr << "genlab: '" << argv[1] << "' is not a command; " << suggest_command(argv[1]) << "\n";
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    return dispatch(args);
  } catch (const genlab::ConfigError& e) {
    std::cerr << "genlab: config error: " << e.what() << "\n";
    return fail(1);
  } catch (const std::bad_alloc& e) {
    // Before a run file exists (building the model, loading data): the sizes to look at.
    std::cerr << "genlab: error: out of memory: "
              << (dynamic_cast<const genlab::OutOfMemory*>(&e) ? e.what() : "an allocation failed")
              << "; a size in the config (batch_size, width, depth, samples, "
                 "likelihood_samples, iwae_k, ...) needs more memory than this machine has\n";
    return fail(1);
  } catch (const std::exception& e) {
    std::cerr << "genlab: error" << rank_tag() << ": " << e.what() << "\n";
    return fail(1);
  }
}
