// The genlab command line. Subcommands arrive with their issues (run, sample,
// compare, validate, info); `demo` is the end-to-end demonstration until then.
#include <iostream>

#include <CLI/CLI.hpp>

#include "core/parallel.h"
#include "experiments/demo_denoiser.h"

int main(int argc, char** argv) {
  CLI::App app{"genlab: generative-modeling experiments (autoregressive, VAE, diffusion)"};
  app.set_version_flag("--version", "genlab 0.1.0");
  app.require_subcommand(1);

  genlab::DemoOptions demo;
  int threads = 0;
  CLI::App* demo_cmd = app.add_subcommand(
      "demo", "Train an EDM-preconditioned MLP denoiser on 2-D eight Gaussians; prints the loss");
  demo_cmd->add_option("--steps", demo.steps, "training steps")->capture_default_str()->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  demo_cmd->add_option("--batch-size", demo.batch_size, "examples per step")->capture_default_str()->check(CLI::Range(int64_t{1}, int64_t{1} << 24));
  demo_cmd->add_option("--lr", demo.lr, "Adam learning rate")->capture_default_str()->check(CLI::Range(1e-8f, 10.0f));
  demo_cmd->add_option("--seed", demo.seed, "seed for data, init and noise")->capture_default_str();
  demo_cmd->add_option("--threads", threads, "OpenMP threads (0: all cores)")->check(CLI::NonNegativeNumber);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    if (threads > 0) genlab::set_num_threads(threads);
    if (*demo_cmd) {
      const auto result = genlab::run_demo_denoiser(demo, std::cout);
      return result.window_losses.back() < result.window_losses.front() ? 0 : 1;
    }
  } catch (const std::exception& e) {
    std::cerr << "genlab: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
