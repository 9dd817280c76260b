#include "experiments/runner.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>

#include "core/ops.h"
#include "core/optim/schedule.h"
#include "core/parallel.h"
#include "experiments/datasets.h"
#include "experiments/families/family.h"
#include "experiments/metrics.h"
#include "experiments/variants_table.h"
#include "samplers/likelihood.h"

#ifndef GENLAB_GIT_COMMIT
#define GENLAB_GIT_COMMIT "unknown"
#endif

namespace genlab {
namespace {

std::atomic<bool> g_interrupted{false};
void on_sigint(int) {
  g_interrupted = true;
}

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

std::string host_name() {
  char buf[256] = {0};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

std::map<std::string, double> distribution_metrics(const Tensor& x, const Tensor& reference) {
  return {{"sliced_wasserstein", sliced_wasserstein(x, reference)},
          {"mmd", mmd_rbf(x, reference)},
          {"energy", energy_distance(x, reference)}};
}

// What every variant of a run shares: the denoiser, the process, the initial noise, the
// reference data and (for exact mixtures) an rk45 solution from the same noise.
struct VariantContext {
  const Denoiser* denoiser = nullptr;
  std::unique_ptr<Process> process;
  const GaussianMixture* mixture = nullptr;
  Tensor noise, reference, rk45_reference;
  Generator sampling = Generator(0);
};

VariantContext make_context(const ExperimentConfig& c, const Denoiser& denoiser,
                            const Dataset& data) {
  VariantContext ctx;
  const Generator root(c.seed);
  Generator reference_rng = root.derive("reference");
  ctx.denoiser = &denoiser;
  ctx.process = make_process(c.model.preconditioning.process);
  ctx.mixture = data.mixture();
  ctx.reference = data.draw(c.evaluate.samples, reference_rng);
  ctx.sampling = root.derive("sampling");
  ctx.noise = ctx.sampling.derive("init").normal_rows({c.evaluate.samples, data.dims()}, 0);
  if (ctx.mixture) {
    const int64_t n_ref = std::min<int64_t>(1000, c.evaluate.samples);
    ctx.rk45_reference =
        make_sampler("rk45", {{"rtol", 1e-6}, {"atol", 1e-6}})
            ->sample(denoiser, *ctx.process, make_time_grid(*ctx.process, {.steps = 2}),
                     slice(ctx.noise, 0, 0, n_ref))
            .x;
  }
  return ctx;
}

// Samples one variant from the shared noise, writes /variants/<name>, returns its row.
SummaryRow run_variant(const VariantContext& ctx, const SamplerVariant& v, RunFile& file) {
  GridOptions grid = v.grid;
  grid.steps = v.steps;
  const auto t0 = Clock::now();
  const auto r = make_sampler(v.sampler, v.options)
                     ->sample(*ctx.denoiser, *ctx.process, make_time_grid(*ctx.process, grid),
                              ctx.noise, {ctx.sampling.derive("steps").derive(v.name), 0});
  const double wall = since(t0);
  SummaryRow row;
  row.text = {{"name", v.name}, {"sampler", v.sampler}, {"grid", v.grid.kind}};
  row.numbers = distribution_metrics(r.x, ctx.reference);
  row.numbers["steps"] = v.steps, row.numbers["nfe"] = static_cast<double>(r.nfe),
  row.numbers["wall_s"] = wall;
  if (ctx.mixture) {
    const Tensor sig = Tensor::full({r.x.size(0)}, 1e-3f);
    row.numbers["exact_log_density"] = mean(ctx.mixture->log_density(r.x, sig)).item();
    const Tensor d = slice(r.x, 0, 0, ctx.rk45_reference.size(0)) - ctx.rk45_reference;
    row.numbers["rk45_distance"] = std::sqrt(mean(square(d)).item());
  }
  std::map<std::string, std::string> attrs{{"sampler", v.sampler},
                                           {"steps", std::to_string(v.steps)},
                                           {"grid", v.grid.kind},
                                           {"rho", std::to_string(v.grid.rho)},
                                           {"shift", std::to_string(v.grid.shift)}};
  for (const auto& [k, val] : v.options) attrs["option." + k] = std::to_string(val);
  file.write_variant(v.name, r.x, attrs);
  return row;
}

}  // namespace

std::string effective_status(const std::map<std::string, std::string>& attrs) {
  const std::string status = attrs.count("status") ? attrs.at("status") : "unknown";
  if (status != "running" || !attrs.count("pid") || !attrs.count("host") ||
      attrs.at("host") != host_name())
    return status;
  const pid_t pid = static_cast<pid_t>(std::stol(attrs.at("pid")));
  return (kill(pid, 0) == 0 || errno == EPERM)
             ? "running"
             : "interrupted (the process ended without finishing)";
}

SummaryRow add_variant(const std::string& path, const SamplerVariant& v, std::ostream& out) {
  RunFile file = RunFile::open(path);
  const auto attrs = file.attrs();
  if (!attrs.count("config_yaml"))
    throw std::runtime_error(path + ": no config_yaml attribute (not a genlab run file?)");
  const ExperimentConfig c =
      parse_experiment_config(attrs.at("config_yaml"), path + " (stored config)");
  if (c.threads > 0) set_num_threads(c.threads);
  auto rows = file.read_summary();
  for (const auto& r : rows)
    if (r.text.count("name") && r.text.at("name") == v.name)
      throw std::runtime_error(path + ": a variant named '" + v.name +
                               "' exists already (pick another with name=...)");
  const auto data_ptr = make_dataset(c.data);
  const Dataset& data = *data_ptr;
  Generator unused(0);
  const std::unique_ptr<Family> family = make_family(c, data, unused);
  if (family->trainable()) {
    if (!file.exists("/model/ema"))
      throw std::runtime_error(path + ": no /model/ema to sample from (did training finish?)");
    family->load_averaged_weights(file.read_tensors("model/ema"));
  }
  const Denoiser* denoiser = family->denoiser();
  if (!denoiser)
    throw std::runtime_error(path + ": the " + c.model.family + " family has no sampler variants");
  const VariantContext ctx = make_context(c, *denoiser, data);
  rows.push_back(run_variant(ctx, v, file));
  file.write_summary(rows);
  out << format_variants_table({rows.back()});
  return rows.back();
}

namespace {

RunFile create_run_file(const ExperimentConfig& c) {
  const std::filesystem::path path(c.output.path);
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  return RunFile::create(c.output.path,
                         {{"genlab_version", "0.1.0"},
                          {"git_commit", GENLAB_GIT_COMMIT},
                          {"created_utc", utc_now()},
                          {"host", host_name()},
                          {"seed", std::to_string(c.seed)},
                          {"threads", std::to_string(num_threads())},
                          {"name", c.name}},
                         to_yaml(c));
}

RunFile open_for_resume(const std::string& path, const ExperimentConfig& c) {
  RunFile file = RunFile::open(path);
  const auto attrs = file.attrs();
  if (!attrs.count("config_yaml") || attrs.at("config_yaml") != to_yaml(c))
    throw std::runtime_error(
        path +
        ": its stored config differs from this config (resume needs the same "
        "config and overrides; `genlab validate CONFIG --resolved` shows what it resolves to)");
  if (attrs.count("status") && attrs.at("status") == "completed")
    throw std::runtime_error(path + ": the run completed; nothing to resume");
  if (attrs.count("threads") && attrs.at("threads") != std::to_string(num_threads()))
    throw std::runtime_error(path + ": it ran with " + attrs.at("threads") +
                             " threads, this run has " + std::to_string(num_threads()) +
                             " (set `threads:`); results would differ");
  if (file.group_attrs("checkpoint").count("latest") == 0)
    throw std::runtime_error(path +
                             ": no checkpoint to resume from (the run stopped before its first "
                             "checkpoint_every steps); start it again without --resume");
  file.set_attr("resumed_utc", utc_now());
  file.set_status("running");
  return file;
}

// Training state in two alternating slots, /checkpoint/0 and /checkpoint/1; the attribute
// /checkpoint:latest names a slot only after it is completely written, so a kill while
// saving leaves the previous checkpoint intact.
void save_checkpoint(RunFile& file, int64_t step, const Family& family, const Generator& data_rng,
                     const Generator& noise_rng, double wall_s) {
  const auto latest = file.group_attrs("checkpoint");
  const std::string slot = latest.count("latest") && latest.at("latest") == "0" ? "1" : "0";
  const std::string g = "checkpoint/" + slot;
  file.write_tensors(g + "/params", family.weights());
  for (const auto& [name, tensors] : family.state()) file.write_tensors(g + "/" + name, tensors);
  auto attrs = family.state_attrs();
  attrs["step"] = std::to_string(step);
  attrs["data_key"] = std::to_string(data_rng.state().key);
  attrs["data_counter"] = std::to_string(data_rng.state().counter);
  attrs["noise_key"] = std::to_string(noise_rng.state().key);
  attrs["noise_counter"] = std::to_string(noise_rng.state().counter);
  attrs["wall_s"] = std::to_string(wall_s);
  file.set_group_attrs(g, attrs);
  file.set_group_attrs("checkpoint", {{"latest", slot}, {"step", std::to_string(step)}});
}

// Restores what save_checkpoint wrote; returns the step it was taken at.
int64_t load_checkpoint(const RunFile& file, Family& family, Generator& data_rng,
                        Generator& noise_rng, double& wall_s) {
  const std::string g = "checkpoint/" + file.group_attrs("checkpoint").at("latest");
  const auto a = file.group_attrs(g);
  std::map<std::string, NamedTensorMap> groups;
  for (const auto& [name, unused] : family.state())
    groups[name] = file.read_tensors(g + "/" + name);
  family.load_state(file.read_tensors(g + "/params"), groups, a);
  data_rng.set_state({std::stoull(a.at("data_key")), std::stoull(a.at("data_counter"))});
  noise_rng.set_state({std::stoull(a.at("noise_key")), std::stoull(a.at("noise_counter"))});
  wall_s = std::stod(a.at("wall_s"));
  return std::stoll(a.at("step"));
}

}  // namespace

RunSummary run_experiment(const ExperimentConfig& c, std::ostream& out,
                          const std::string& resume_path) {
  if (c.threads > 0) set_num_threads(c.threads);
  const bool resuming = !resume_path.empty();
  RunFile file = resuming ? open_for_resume(resume_path, c) : create_run_file(c);
  RunSummary summary{file.path(), "completed", {}};
  g_interrupted = false;
  // Ctrl-C and SIGTERM stop at the next step; the file then says "interrupted".
  auto previous_handler = std::signal(SIGINT, on_sigint);
  auto previous_term = std::signal(SIGTERM, on_sigint);
  // A run killed outright (SIGKILL, a crash) cannot write; it leaves status "running" with
  // the writer's host and pid, from which readers tell a dead run from a live one.
  file.set_attr("pid", std::to_string(getpid()));
  try {
    const Generator root(c.seed);
    Generator init = root.derive("init"), data_rng = root.derive("data"),
              noise_rng = root.derive("noise");
    const auto data_ptr = make_dataset(c.data);
    const Dataset& data = *data_ptr;
    const auto process = make_process(c.model.preconditioning.process);
    const Generator sampling = root.derive("sampling");
    const std::unique_ptr<Family> family = make_family(c, data, init);
    // Reference data and evaluation noise, for the sample metrics of families that sample
    // through a denoiser (each is its own stream, so drawing them or not changes nothing else).
    Tensor reference, eval_noise;
    if (family->denoiser()) {
      Generator reference_rng = root.derive("reference");
      reference = data.draw(c.evaluate.samples, reference_rng);
      eval_noise = sampling.derive("eval").normal_rows({c.evaluate.samples, data.dims()}, 0);
    }
    out << "genlab run '" << c.name << "': " << family->describe() << " on " << c.data.name;
    if (family->trainable()) out << ", " << c.train.steps << " steps of " << c.train.batch_size;
    out << " -> " << file.path() << "\n";

    // Sample metrics (heun from the evaluation noise) for families with a denoiser, plus
    // the family's own metrics; one /eval row.
    auto evaluate = [&](int64_t step) {
      std::map<std::string, double> row;
      if (const Denoiser* d = family->denoiser()) {
        const auto t = make_time_grid(*process, {.kind = "edm", .steps = c.evaluate.eval_steps});
        row = distribution_metrics(make_sampler("heun")->sample(*d, *process, t, eval_noise).x,
                                   reference);
      }
      for (const auto& [k, v] : family->evaluate(data)) row[k] = v;
      row["step"] = static_cast<double>(step);
      file.append("eval", row);
      return row;
    };
    // Every metric of the row (the sample metrics and each family's own), step aside.
    auto describe_eval = [](const std::map<std::string, double>& row) {
      std::string s;
      for (const auto& [k, v] : row)
        if (k != "step") s += std::string(s.empty() ? "" : ", ") + k + " " + format_number(v);
      return s;
    };

    if (family->trainable()) {
      const LrSchedule schedule({.kind = c.train.schedule,
                                 .lr = static_cast<float>(c.train.lr),
                                 .warmup_steps = c.train.warmup_steps,
                                 .total_steps = c.train.steps});
      const bool tty = isatty(fileno(stdout)) && &out == &std::cout;
      double wall_offset = 0;
      int64_t first_step = 1;
      if (resuming) {
        const int64_t done = load_checkpoint(file, *family, data_rng, noise_rng, wall_offset);
        file.truncate_after_step("train", static_cast<double>(done));
        file.truncate_after_step("eval", static_cast<double>(std::min(done, c.train.steps - 1)));
        file.truncate_after_step("likelihood", static_cast<double>(c.train.steps - 1));
        out << "resuming from the checkpoint at step " << done << "\n";
        first_step = done + 1;
      }
      const auto start = Clock::now();
      double window_loss = 0, window_grad = 0;
      int64_t window = 0;
      for (int64_t step = first_step; step <= c.train.steps; ++step) {
        if (g_interrupted) {
          summary.status = "interrupted";
          break;
        }
        const float lr = schedule.lr_at(step - 1);
        const auto s = family->train_step(data.draw(c.train.batch_size, data_rng), noise_rng, lr);
        window_loss += s.loss, window_grad += s.grad_norm, ++window;
        if (step % c.train.log_every == 0 || step == c.train.steps) {
          const double secs = wall_offset + since(start),
                       rate = (step - first_step + 1) / since(start);
          file.append("train", {{"step", double(step)},
                                {"loss", window_loss / window},
                                {"lr", lr},
                                {"grad_norm", window_grad / window},
                                {"wall_s", secs}});
          std::ostringstream line;
          line << "step " << step << "/" << c.train.steps << "  loss "
               << format_number(window_loss / window) << "  " << std::fixed << std::setprecision(1)
               << rate << " steps/s  ETA " << std::setprecision(0) << (c.train.steps - step) / rate
               << " s";
          out << (tty ? "\r" : "") << line.str() << (tty ? "   " : "\n") << std::flush;
          window_loss = window_grad = 0, window = 0;
        }
        if (c.train.eval_every > 0 && step % c.train.eval_every == 0 && step != c.train.steps) {
          const auto row = evaluate(step);
          if (!tty) out << "eval step " << step << ": " << describe_eval(row) << "\n";
        }
        if (step == c.train.steps ||
            (c.train.checkpoint_every > 0 && step % c.train.checkpoint_every == 0))
          save_checkpoint(file, step, *family, data_rng, noise_rng, wall_offset + since(start));
      }
      if (tty) out << "\n";
      file.write_tensors("model", family->weights());
      file.write_tensors("model/ema", family->averaged_weights());
    }
    const Denoiser* denoiser = family->denoiser();
    if (summary.status == "completed") {
      const auto row = evaluate(c.train.steps);
      out << "final eval: " << describe_eval(row) << "\n";
      Generator family_rng = root.derive("family_final");
      family->finish(file, data, family_rng, out);
    }
    if (summary.status == "completed" && denoiser) {
      // Every variant from the same initial noise.
      const VariantContext ctx = make_context(c, *denoiser, data);
      for (const auto& v : c.samplers) {
        if (g_interrupted) {
          summary.status = "interrupted";
          break;
        }
        summary.variants.push_back(run_variant(ctx, v, file));
        file.write_summary(summary.variants);
      }
      if (summary.status == "completed" && c.evaluate.likelihood) {
        Generator held_out = root.derive("held_out");
        const Tensor x0 = data.draw(c.evaluate.likelihood_samples, held_out);
        LikelihoodOptions lo;
        lo.trace = c.evaluate.likelihood_trace;
        lo.sigma_data = c.model.preconditioning.sigma_data;
        const auto lr = pf_ode_likelihood(*denoiser, x0, lo, {root.derive("probes"), 0});
        file.append("likelihood", {{"step", double(c.train.steps)},
                                   {"nll_nats", mean(lr.nll_nats).item()},
                                   {"bits_per_dim", mean(lr.bits_per_dim).item()},
                                   {"nfe", double(lr.nfe)}});
        out << "likelihood (PF-ODE, " << lo.trace
            << "): " << format_number(mean(lr.nll_nats).item()) << " nats, "
            << format_number(mean(lr.bits_per_dim).item()) << " bits/dim, " << lr.nfe << " NFE\n";
      }
    }
    file.set_status(summary.status);
    std::signal(SIGINT, previous_handler);
    std::signal(SIGTERM, previous_term);
    if (!summary.variants.empty()) out << "\n" << format_variants_table(summary.variants);
    out << "run file: " << c.output.path << " (" << summary.status << ")\n";
    return summary;
  } catch (const std::exception& e) {
    std::signal(SIGINT, previous_handler);
    std::signal(SIGTERM, previous_term);
    try {
      file.set_attr("error", e.what());
      file.set_status("failed");
    } catch (...) {
    }
    throw;
  }
}

}  // namespace genlab
