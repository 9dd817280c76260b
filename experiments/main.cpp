// The genlab command line (docs/DESIGN.md contract 1): run, sample, validate, info,
// compare, config --reference. Exit codes: 0 success, 1 failure, 2 usage error; errors go to stderr,
// results to stdout.
#include <CLI/CLI.hpp>
#include <iostream>

#include "core/parallel.h"
#include "experiments/config/experiment_config.h"
#include "experiments/config/yaml_section.h"
#include "experiments/run_file.h"
#include "experiments/runner.h"
#include "experiments/sweep.h"

namespace {

int cmd_info(const std::string& path) {
  const genlab::RunFile f = genlab::RunFile::open(path);
  const auto attrs = f.attrs();
  const std::string status = genlab::effective_status(attrs);
  std::cout << path << "\n  status: " << status << "\n";
  for (const char* k : {"name", "created_utc", "resumed_utc", "git_commit", "host", "pid", "seed",
                        "threads", "error"})
    if (attrs.count(k)) std::cout << "  " << k << ": " << attrs.at(k) << "\n";
  const auto train = f.read_columns("train");
  if (train.count("step") && !train.at("step").empty())
    std::cout << "  /train: " << train.at("step").size() << " rows, last step "
              << train.at("step").back() << ", loss " << train.at("loss").back() << "\n";
  const auto eval = f.read_columns("eval");
  if (eval.count("step")) std::cout << "  /eval: " << eval.at("step").size() << " rows\n";
  std::cout << "  /model: " << (f.exists("/model") ? "yes" : "no")
            << ", /model/ema: " << (f.exists("/model/ema") ? "yes" : "no") << "\n";
  const auto rows = f.read_summary();
  std::cout << "  /variants: " << rows.size() << "\n\n" << genlab::format_variants_table(rows);
  return status == "completed" ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "genlab: generative-modeling experiments (diffusion / flow matching, autoregressive, VAE, "
      "exact analytic references)"};
  app.footer(
      "Start with: genlab run configs/quickstart.yaml (other families: configs/made_fmnist.yaml, "
      "configs/vae_fmnist.yaml, configs/gumbel_vae_fmnist.yaml). Every config key and its default: "
      "genlab config --reference, or genlab validate CONFIG --resolved (see configs/README.md).");
  app.set_version_flag("--version", "genlab 0.1.0");
  app.require_subcommand(1);

  std::string config;
  std::vector<std::string> overrides, runs;
  bool resolved = false, csv = false;
  std::string sort;

  CLI::App* run_cmd =
      app.add_subcommand("run", "Train, evaluate and sample as CONFIG says; writes one run file");
  run_cmd->add_option("config", config, "experiment YAML")->required()->check(CLI::ExistingFile);
  run_cmd->add_option("overrides", overrides, "dotted overrides, e.g. train.steps=200");
  std::string resume;
  bool multirun = false;
  run_cmd->add_flag("--multirun", multirun,
                    "sweep: comma-separated override values, Cartesian product");
  run_cmd->add_option("--resume", resume, "continue this run file from its checkpoint")
      ->check(CLI::ExistingFile);
  int threads = -1;
  run_cmd->add_option("--threads", threads, "OpenMP threads, as the `threads:` key (0: all cores)")
      ->check(CLI::Range(0, 1024));

  CLI::App* validate_cmd =
      app.add_subcommand("validate", "Check a config (and overrides) without running it");
  validate_cmd->add_option("config", config, "experiment YAML")
      ->required()
      ->check(CLI::ExistingFile);
  validate_cmd->add_option("overrides", overrides, "dotted overrides");
  validate_cmd->add_flag("--resolved", resolved, "print the config with every default filled in");

  CLI::App* sample_cmd =
      app.add_subcommand("sample", "Add a sampler variant to an existing run file");
  std::string sample_run, sampler_name;
  std::vector<std::string> sample_args;
  sample_cmd->add_option("run", sample_run, "run file (.h5)")->required()->check(CLI::ExistingFile);
  sample_cmd->add_option("--sampler", sampler_name, "sampler name")->required();
  sample_cmd->add_option("settings", sample_args,
                         "key=value: name, steps, grid, rho, shift, or a sampler option");

  CLI::App* info_cmd =
      app.add_subcommand("info", "What a run file holds (exit 1 unless it completed)");
  std::string run_path;
  info_cmd->add_option("run", run_path, "run file (.h5)")->required()->check(CLI::ExistingFile);

  CLI::App* compare_cmd =
      app.add_subcommand("compare", "A table of variants x metrics across run files");
  compare_cmd->add_option("runs", runs, "run files (.h5)")->required()->check(CLI::ExistingFile);
  compare_cmd->add_flag("--csv", csv, "CSV instead of an aligned table");
  compare_cmd->add_option("--sort", sort, "sort rows by this metric column (ascending)");

  CLI::App* config_cmd =
      app.add_subcommand("config", "Print the key reference: every key, its type, default, allowed values");
  std::string reference_section;
  bool reference = false;
  config_cmd->add_flag("--reference", reference, "the key reference (markdown tables)")->required();
  config_cmd->add_option("section", reference_section,
                         "only this section: top, data, model, train, evaluate, samplers, output, "
                         "\"model (family: vae)\", ...");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    if (*run_cmd && threads >= 0) overrides.push_back("threads=" + std::to_string(threads));
    if (*run_cmd && multirun) {
      if (!resume.empty()) throw genlab::ConfigError("--multirun and --resume do not combine");
      genlab::run_sweep(config, overrides, std::cout);
      return 0;
    }
    if (*run_cmd) {
      const auto c = genlab::load_experiment_config(config, overrides);
      const auto r = genlab::run_experiment(c, std::cout, resume);
      return r.status == "completed" ? 0 : (r.status == "interrupted" ? 130 : 1);
    }
    if (*validate_cmd) {
      const auto c = genlab::load_experiment_config(config, overrides);
      if (resolved)
        std::cout << genlab::to_yaml(c);
      else
        std::cout << config << ": ok (" << c.samplers.size() << " sampler variants)\n";
      return 0;
    }
    if (*info_cmd) return cmd_info(run_path);
    if (*sample_cmd) {
      genlab::add_variant(sample_run, sampler_name, sample_args, std::cout);
      return 0;
    }
    if (*compare_cmd) {
      std::cout << genlab::compare_runs(runs, csv, sort);
      return 0;
    }
    if (*config_cmd) {
      std::cout << genlab::config_reference(reference_section);
      return 0;
    }
  } catch (const genlab::ConfigError& e) {
    std::cerr << "genlab: config error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "genlab: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
