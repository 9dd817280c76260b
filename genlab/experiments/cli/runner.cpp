#include "genlab/experiments/cli/runner.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>

#include "genlab/core/backend.h"
#include "genlab/core/device.h"
#include "genlab/core/distributed/data_parallel.h"
#include "genlab/core/optim/schedule.h"
#include "genlab/core/parallel.h"
#include "genlab/experiments/run/checkpoint.h"
#include "genlab/experiments/data/batches.h"
#include "genlab/experiments/families/family.h"
#include "genlab/experiments/families/registry.h"
#include "genlab/experiments/memory_hint.h"
#include "genlab/experiments/run/progress.h"
#include "genlab/experiments/run/run_lock.h"
#include "genlab/experiments/run/run_log.h"
#include "genlab/experiments/cli/thread_choice.h"
#include "genlab/experiments/eval/variants.h"
#include "genlab/experiments/run_setup.h"

namespace genlab {
namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Every metric of an /eval row, step aside.
std::string describe_eval(const std::map<std::string, double>& row) {
  std::string s;
  for (const auto& [k, v] : row)
    if (k != "step") s += std::string(s.empty() ? "" : ", ") + k + " " + format_number(v);
  return s;
}

// What one run holds while it goes: the config, the file, the data, the family.
struct Run {
  const ExperimentConfig& c;
  RunFile& file;
  std::ostream& out;
  Generator root;
  std::unique_ptr<Dataset> data;
  std::unique_ptr<Family> family;
  std::unique_ptr<SampleEvaluator> sample_eval;
  const Communicator* comm = &single_process();  // data parallelism: rank 0 writes
  int64_t total_steps = 0, eval_every = 0, checkpoint_every = 0;
  std::string status = "completed";
  // What the run is doing, with the config keys that size it: an out-of-memory error
  // names them (run_experiment).
  std::string phase = "setting up";
  std::vector<SummaryRow> reference_rows{};// the image metrics' reference rows, if any

  // The family's metrics plus, for a sampling target, the sample metrics; one /eval row.
  std::map<std::string, double> evaluate(int64_t step) {
    const std::string outer = phase;
    phase = "evaluating (evaluate.samples " + std::to_string(c.evaluate.samples) +
            ", evaluate.eval_steps " + std::to_string(c.evaluate.eval_steps) + ")";
    std::map<std::string, double> row;
    if (auto target = family->sampling_target()) row = (*sample_eval)(*target, *comm);
    for (const auto& [k, v] : family->evaluate(*data)) row[k] = v;
    row["step"] = static_cast<double>(step);
    file.append("eval", row);
    phase = outer;
    return row;
  }
};

// GENLAB_TEST_SIGKILL_AFTER_CHECKPOINT=N makes the run kill itself outright right after
// its checkpoint at step N: tests of resume get a kill at an exact point (between two
// file writes) instead of a race with their timer. -1 when unset.
int64_t kill_after_checkpoint() {
  static const int64_t step = [] {
    const char* v = std::getenv("GENLAB_TEST_SIGKILL_AFTER_CHECKPOINT");
    return v ? std::atoll(v) : int64_t{-1};
  }();
  return step;
}

// Steps, evaluation and checkpoint intervals, in steps (epochs converted).
void plan_steps(Run& r, const BatchStream& batches) {
  const TrainConfig& t = r.c.train;
  const bool epochs = t.epochs > 0 || t.eval_every_epochs > 0 || t.checkpoint_every_epochs > 0;
  if (epochs && !batches.finite())
    throw ConfigError("train.epochs, eval_every_epochs and checkpoint_every_epochs need a finite "
                      "data set (images); '" + r.c.data.name + "' is generated: use steps");
  const int64_t per_epoch = batches.batches_per_epoch();
  r.total_steps = t.epochs > 0 ? t.epochs * per_epoch : t.steps;
  r.eval_every = t.eval_every_epochs > 0 ? t.eval_every_epochs * per_epoch : t.eval_every;
  r.checkpoint_every =
      t.checkpoint_every_epochs > 0 ? t.checkpoint_every_epochs * per_epoch : t.checkpoint_every;
}

// The training's progress lines: the first step at once (its time tells the user what to
// expect), then at a /train row at most every 2 s, and at least every 10 s however slow
// the steps (the last loss is the one of the rows written, else of the last step).
class StepPrinter {
 public:
  StepPrinter(std::ostream& out, int64_t first, int64_t total)
      : out_(out), first_(first), total_(total), start_(Clock::now()), last_(start_) {}
  void after(int64_t step, double loss, bool row_written) {
    const double since_last = since(last_);
    if (!(step == first_ || step == total_ || (row_written && since_last >= 2.0) || since_last >= 10.0))
      return;
    const double elapsed = since(start_), rate = static_cast<double>(step - first_ + 1) / elapsed;
    out_ << "step " << step << "/" << total_ << "  loss " << format_number(loss) << "  "
         << format_rate(rate, "step") << "  ETA "
         << format_duration(static_cast<double>(total_ - step) / rate) << "\n"
         << std::flush;
    last_ = Clock::now();
  }

 private:
  std::ostream& out_;
  int64_t first_, total_;
  Clock::time_point start_, last_;
};

// The command that continues this run, for the user to copy.
std::string resume_command(const std::string& path) {
  return "genlab run --resume " + path;
}

// Ctrl-C on any rank stops every rank at the same step (mpirun forwards the signal, but
// the ranks may see it at different steps).
bool stop_agreed(const Communicator& comm) {
  double stop = StopSignalGuard::stop_requested() ? 1.0 : 0.0;
  if (comm.size() > 1) comm.allreduce_sum(&stop, 1);
  return stop > 0.0;
}

// This rank's rows of a global batch (row_share), which must give every rank one at least.
Batch rank_rows(const Batch& global, const Communicator& comm, int64_t step) {
  const int64_t n = global.x.size(0);
  if (n < comm.size())
    throw std::runtime_error(
        "step " + std::to_string(step) + ": a batch of " + std::to_string(n) + " rows cannot be shared by " +
        std::to_string(comm.size()) + " ranks (the last batch of an epoch? set train.drop_last: true, "
        "or a train.batch_size that leaves more)");
  const RowShare mine = row_share(n, comm.rank(), comm.size());
  Batch b{global.x.narrow_rows(mine.first, mine.count), Tensor(), n};
  if (global.labels.defined()) b.labels = global.labels.narrow_rows(mine.first, mine.count);
  return b;
}

// The training state of the run's checkpoint, loaded into the family and the streams:
// rank 0 reads it and sends it to the other ranks, whatever the number of ranks that wrote
// it (the global batch does not depend on it). Rows written after it are dropped.
RunnerState resume_from_checkpoint(Run& r, Generator& data_rng, Generator& noise_rng) {
  const Communicator& comm = *r.comm;
  RunnerState s;
  TrainingState state = r.family->save();  // names the groups to read
  std::string packed;
  if (comm.rank() == 0) {
    s = load_checkpoint(r.file, state);
    if (s.step > r.total_steps)
      throw std::runtime_error(r.file.path() + ": the checkpoint is at step " + std::to_string(s.step) +
                               ", past the run's " + std::to_string(r.total_steps) +
                               " steps; the checkpoint is damaged and cannot be resumed");
    for (const auto& [group, tensors] : state.tensors)
      for (const auto& [name, t] : tensors)
        for (const float v : t.to_vector())
          if (!std::isfinite(v))
            throw std::runtime_error(r.file.path() + ": the checkpoint of step " + std::to_string(s.step) +
                                     " holds a non-finite value in " + group + "/" + name +
                                     "; it cannot be resumed");
    if (comm.size() > 1) packed = pack_training_state(state);
  }
  if (comm.size() > 1) {
    comm.broadcast(packed, 0);
    if (comm.rank() != 0) {
      state = unpack_training_state(packed);
      s = runner_state_of(state, "the checkpoint sent by rank 0");
    }
  }
  try {
    r.family->load(state);
  } catch (const std::exception& e) {
    throw std::runtime_error(r.file.path() + ": its checkpoint of step " + std::to_string(s.step) +
                             " does not fit this model (" + e.what() + ")");
  }
  data_rng.set_state(s.data), noise_rng.set_state(s.noise);
  r.file.truncate_after_step("train", static_cast<double>(s.step));
  r.file.truncate_after_step("eval", static_cast<double>(std::min(s.step, r.total_steps - 1)));
  r.out << "resuming from the checkpoint at step " << s.step << "\n";
  return s;
}

// A run stopped inside the evaluation of step `step` kept that step's checkpoint but not
// its /eval row: the resumed run evaluates it first (from the same weights and noise, so
// the row is the uninterrupted run's). Rank 0 decides, every rank evaluates.
void evaluate_if_missed(Run& r, int64_t step) {
  if (r.eval_every <= 0 || step <= 0 || step % r.eval_every != 0 || step == r.total_steps) return;
  std::string missed = "0";
  if (r.comm->rank() == 0) {
    const auto eval = r.file.read_columns("eval");
    const auto it = eval.find("step");
    const bool has = it != eval.end() && std::find(it->second.begin(), it->second.end(), double(step)) != it->second.end();
    missed = has ? "0" : "1";
  }
  r.comm->broadcast(missed, 0);
  if (missed != "1") return;
  const auto row = r.evaluate(step);
  r.out << "eval step " << step << " (missed when the run stopped): " << describe_eval(row) << "\n";
}

// One optimizer step of the family on step `step`'s batch. Under data parallelism every
// rank draws the same global batch and takes its rows, and the noise stream draws for the
// global batch too (Generator::set_batch_shard).
Family::Step take_step(Run& r, BatchStream& batches, int64_t step, Generator& data_rng, Generator& noise_rng,
                       float lr) {
  const Communicator& comm = *r.comm;
  if (comm.size() == 1) return r.family->train_step(batches.batch(step - 1, data_rng), noise_rng, lr);
  const Batch share = rank_rows(batches.batch(step - 1, data_rng), comm, step);
  const BatchShardScope shard(noise_rng, {.first = row_share(share.global_rows, comm.rank(), comm.size()).first,
                                          .rows = share.x.size(0),
                                          .global_rows = share.global_rows});
  return r.family->train_step(share, noise_rng, lr);
}

// Stops a run whose training diverged: a non-finite loss or gradient norm, or a loss that
// explodes but stays finite (1e15), against the median of the recent steps (a median:
// single hard batches do not move it). The error names the last good checkpoint.
class DivergenceWatch {
 public:
  explicit DivergenceWatch(double multiple) : multiple_(multiple) {}
  void check(int64_t step, const Family::Step& st, int64_t last_checkpoint) {
    const std::string where =
        last_checkpoint > 0 ? "the checkpoint of step " + std::to_string(last_checkpoint) : std::string();
    if (!std::isfinite(st.loss) || !std::isfinite(st.grad_norm))
      throw std::runtime_error(
          "step " + std::to_string(step) + ": the " +
          (std::isfinite(st.loss) ? "gradient norm is " + format_number(st.grad_norm)
                                  : "loss is " + format_number(st.loss)) +
          ": training diverged (" + (where.empty() ? "before any checkpoint" : where + " is the last with finite weights") +
          "); lower train.lr, set train.grad_clip, or check the data");
    if (multiple_ <= 0) return;
    if (recent_.size() >= 20) {
      std::vector<double> sorted(recent_.begin(), recent_.end());
      std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
      const double median = sorted[sorted.size() / 2];
      if (median > 0 && st.loss > multiple_ * median)
        throw std::runtime_error(
            "step " + std::to_string(step) + ": the loss is " + format_number(st.loss) + ", " +
            format_number(st.loss / median) + " times the median of the last " + std::to_string(recent_.size()) +
            " steps (" + format_number(median) + "): training diverged (" +
            (where.empty() ? "before any checkpoint" : where + " is the last before it") +
            "); lower train.lr, set train.grad_clip, or raise train.divergence (0: off)");
    }
    recent_.push_back(st.loss);
    if (recent_.size() > 200) recent_.pop_front();
  }

 private:
  double multiple_;
  std::deque<double> recent_;  // the last steps' losses
};

// The step's loss and gradient norm into the log window; every log_every steps (and at
// the end) the window's means become a /train row and a progress line.
void log_step(Run& r, RunnerState& s, const BatchStream& batches, StepPrinter& printer, int64_t step,
              const Family::Step& st, float lr, double wall_s) {
  s.window_loss += st.loss, s.window_grad += st.grad_norm, ++s.window;
  if (step % r.c.train.log_every != 0 && step != r.total_steps) {
    printer.after(step, st.loss, false);
    return;
  }
  std::map<std::string, double> row{{"step", double(step)},
                                    {"loss", s.window_loss / s.window},
                                    {"lr", lr},
                                    {"grad_norm", s.window_grad / s.window},
                                    {"wall_s", wall_s}};
  if (batches.finite()) row["epoch"] = double(batches.epoch_of(step - 1));  // 0-based
  r.file.append("train", row);
  printer.after(step, s.window_loss / s.window, true);
  s.window_loss = s.window_grad = 0, s.window = 0;
}

// The training loop, from the checkpoint when resuming.
void train(Run& r, bool resuming) {
  const TrainConfig& t = r.c.train;
  BatchStream batches(*r.data, t.batch_size, t.drop_last, r.root.derive("epochs"));
  plan_steps(r, batches);
  const LrSchedule schedule({.kind = t.schedule,
                             .lr = static_cast<float>(t.lr),
                             .warmup_steps = t.warmup_steps,
                             .total_steps = r.total_steps});
  Generator data_rng = r.root.derive("data"), noise_rng = r.root.derive("noise");
  const Communicator& comm = *r.comm;
  RunnerState s = resuming ? resume_from_checkpoint(r, data_rng, noise_rng) : RunnerState{};
  if (resuming) evaluate_if_missed(r, s.step);
  const int64_t first = s.step + 1;
  const double wall_offset = s.wall_s;
  const auto start = Clock::now();
  StepPrinter printer(r.out, first, r.total_steps);
  int64_t checkpointed = s.step;
  auto checkpoint = [&](int64_t step) {
    s.step = step, s.data = data_rng.state(), s.noise = noise_rng.state();
    s.wall_s = wall_offset + since(start);
    if (!r.file.discarding()) save_checkpoint(r.file, s, r.family->save());
    checkpointed = step;
  };
  DivergenceWatch divergence(t.divergence);
  for (int64_t step = first; step <= r.total_steps; ++step) {
    if (stop_agreed(comm)) {
      // Ctrl-C: the steps done so far are not lost; --resume continues from here.
      if (step - 1 > checkpointed) {
        checkpoint(step - 1);
        r.out << "interrupted: checkpoint written at step " << step - 1 << "\n";
      }
      r.status = "interrupted";
      break;
    }
    const float lr = schedule.lr_at(step - 1);
    const Family::Step st = take_step(r, batches, step, data_rng, noise_rng, lr);
    divergence.check(step, st, s.step);
    log_step(r, s, batches, printer, step, st, lr, wall_offset + since(start));
    if (r.eval_every > 0 && step % r.eval_every == 0 && step != r.total_steps) {
      try {
        const auto row = r.evaluate(step);
        r.out << "eval step " << step << ": " << describe_eval(row) << "\n";
      } catch (const RunInterrupted&) {
        // Ctrl-C inside the evaluation's sampling: the step itself is done and is kept.
        if (step > checkpointed) {
          checkpoint(step);
          r.out << "interrupted: checkpoint written at step " << step << "\n";
        }
        r.status = "interrupted";
        break;
      }
    }
    if (comm.size() > 1 && (step == r.total_steps ||
                            (t.replica_check_every > 0 && step % t.replica_check_every == 0)))
      check_replicas_agree(comm, hash_training_state(r.family->save()), "step " + std::to_string(step));
    if (step == r.total_steps || (r.checkpoint_every > 0 && step % r.checkpoint_every == 0)) {
      checkpoint(step);
      if (step == kill_after_checkpoint()) raise(SIGKILL);  // tests: a kill at an exact point
    }
  }
  r.file.write_tensors("model", r.family->weights());
  r.file.write_tensors("model/ema", r.family->sampling_weights());
}

// After training: the final evaluation, the family's results, the variants, the likelihood.
std::vector<SummaryRow> finish(Run& r) {
  const auto row = r.evaluate(r.total_steps);
  r.out << "final eval: " << describe_eval(row) << "\n";
  r.family->finish(r.file, *r.data, r.out);
  std::vector<SummaryRow> rows;
  const auto target = r.family->sampling_target();
  if (!target) return rows;
  r.phase = "the rk45 reference of the variants (evaluate.samples " + std::to_string(r.c.evaluate.samples) + ")";
  const VariantContext ctx = make_variant_context(*target, r.c, *r.data, r.root, &r.out);
  if (ctx.image_metrics) {
    // What a perfect model (training images) and a bad one (a pixel Gaussian) score.
    r.phase = "the image metrics' reference rows (evaluate.samples " +
              std::to_string(r.c.evaluate.samples) + ")";
    const int64_t n = std::min(r.c.evaluate.samples, r.data->size());
    std::vector<int64_t> idx(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) idx[i] = i;
    Progress line(r.out, "image metrics: reference rows (training images, pixel Gaussian)", 0, "");
    r.reference_rows = ctx.image_metrics->reference_rows(
        r.data->gather(idx, 0), r.data->labels(idx), n, r.root.derive("reference").derive("gaussian"));
    if (line.seconds() > 2.0) line.finish("done in " + format_duration(line.seconds()), true);
    r.file.write_table("image_metrics", "reference", r.reference_rows);
    r.file.set_group_attrs("image_metrics", {{"classifier_test_accuracy",
                                              format_number(ctx.image_metrics->test_accuracy())}});
  }
  const size_t count = r.c.samplers.size();
  for (const auto& v : r.c.samplers) {
    if (StopSignalGuard::stop_requested()) {
      r.status = "interrupted";
      return rows;
    }
    r.phase = "sampling variant '" + v.name + "' (evaluate.samples " +
              std::to_string(r.c.evaluate.samples) + ")";
    // The variant and its summary row in one write: neither without the other.
    r.file.batch([&] {
      rows.push_back(run_variant(ctx, v, r.file, *r.comm));
      r.file.write_summary(rows);
    });
    const auto& n = rows.back().numbers;
    r.out << "variant " << rows.size() << "/" << count << " " << v.name << ": "
          << static_cast<int64_t>(n.at("nfe")) << " NFE in " << format_duration(n.at("wall_s"));
    for (const char* k : {"fd", "sliced_wasserstein"})
      if (n.count(k)) {
        r.out << ", " << k << " " << format_number(n.at(k));
        break;
      }
    r.out << "\n";
  }
  r.phase = "estimating the likelihood (evaluate.likelihood_samples " +
            std::to_string(r.c.evaluate.likelihood_samples) + ")";
  if (r.c.evaluate.likelihood)
    evaluate_likelihood(*target, r.c, *r.data, r.root, r.total_steps, r.file, r.out);
  return rows;
}

// threads: 0 (auto) for a trainable family: by the work of one step on this rank's share
// of the batch (thread_choice.h; the other ranks on this machine count as busy cores).
// Returns the line that says why, or "".
std::string set_threads(const ExperimentConfig& c, const Family& family, int ranks) {
  if (c.threads > 0) {
    set_num_threads(c.threads);
    return "";
  }
  if (!family.trainable()) return "";  // sampling an exact model: every core
  double per_example = family.multiply_adds_per_example();
  if (per_example <= 0)
    for (const auto& [name, t] : family.weights()) per_example += static_cast<double>(t.numel());
  const ThreadChoice choice =
      choose_threads(per_example * static_cast<double>(c.train.batch_size) / static_cast<double>(ranks));
  set_num_threads(choice.threads);
  return choice.why + "\n";
}

// What finish() writes, dropped before a resumed run reaches it again: a run killed
// while finishing, or extended after it finished, would otherwise hold two results, or
// variants (also those `genlab sample` added) sampled from weights it no longer has.
void clear_results(RunFile& file, std::ostream& out) {
  for (const auto& row : file.read_summary())
    if (row.text.count("name"))
      out << "dropping variant '" << row.text.at("name") << "' of the earlier weights (its "
          << "config variants are sampled again; `genlab sample` the others again)\n";
  for (const char* group :
       {"test", "samples", "estimators", "likelihood", "likelihood_points", "variants", "image_metrics"})
    file.remove(group);
}

// Every rank of a data-parallel run must run the same config: ranks that differ deadlock
// (different train.steps) or die inside a collective (a different width). Before anything
// collective, the ranks compare their resolved configs and every rank stops, naming the
// keys that differ, when they do.
void check_same_config(const ExperimentConfig& c, const RunOptions& options, const Communicator& comm) {
  if (comm.size() == 1) return;
  const std::string mine = to_yaml(c) + "\nresume: " + options.resume + "\n";
  const auto all = comm.allgather(mine);
  std::string differ;
  for (size_t r = 1; r < all.size(); ++r) {
    if (all[r] == all[0]) continue;
    for (const auto& ch : config_changes(all[0], all[r]))
      differ += "  rank " + std::to_string(r) + ": " + ch.key + ": " + ch.given + " (rank 0: " + ch.stored + ")\n";
    if (all[r].substr(all[r].rfind("\nresume: ")) != all[0].substr(all[0].rfind("\nresume: ")))
      differ += "  rank " + std::to_string(r) + ": --resume differs from rank 0's\n";
  }
  if (!differ.empty())
    throw ConfigError("the " + std::to_string(comm.size()) +
                      " ranks of this data-parallel run were given different configs; every rank must run "
                      "the same one:\n" + differ);
}

// Whether runs/<name>/latest is genlab's link to this run's folder (a user's file of that
// name is left alone, and the run does not point at it).
bool latest_is(const ExperimentConfig& c, const std::string& run_path) {
  std::error_code ec;
  const std::filesystem::path latest = std::filesystem::path(c.output.folder) / c.name / "latest";
  return std::filesystem::is_symlink(latest, ec) &&
         std::filesystem::read_symlink(latest, ec) == std::filesystem::path(run_path).parent_path().filename();
}

// The run file says it failed, and why; a failure to say so must not hide the first error.
void fail_run(RunLog* log, RunFile& file, const std::string& message) {
  if (log) log->error(message);
  try {
    file.record_failure(message);
  } catch (...) {
  }
}

// The run's data and family, and every check that can fail before a file is touched.
struct DataAndFamily {
  std::unique_ptr<Dataset> data;
  std::unique_ptr<Family> family;
};
DataAndFamily build_data_and_family(const ExperimentConfig& c, const Generator& root, const Communicator& comm) {
  DataAndFamily b;
  try {
    b.data = make_dataset(c.data, c.seed);
    b.family = find_family(c.model.family).make({c.model, c.train, c.data, to_yaml(c), *b.data, root, &comm});
    check_image_classifier(c, *b.data);
  } catch (const OutOfMemory& e) {
    throw OutOfMemory(std::string("building the ") + (b.data ? "model" : "data") + ": " + e.what() +
                          memory_hint(c, e.shape(), b.data ? b.data->dims() : 0),
                      e.shape());
  }
  if (comm.size() > 1 && b.family->trainable() && c.train.batch_size < comm.size())
    throw ConfigError("train.batch_size " + std::to_string(c.train.batch_size) +
                      " is smaller than the " + std::to_string(comm.size()) +
                      " ranks of this data-parallel run: it is the global batch, shared by them");
  return b;
}

// Training (for a trainable family) and the finish (results, sampler variants) of a run
// whose file is open; the summary's status and the final table on the console.
RunSummary train_and_finish(Run& r, bool resuming) {
  const ExperimentConfig& c = r.c;
  RunSummary summary{r.file.path(), "completed", {}};
  if (resuming && r.comm->rank() == 0) clear_results(r.file, r.out);
  if (r.family->sampling_target()) r.sample_eval = std::make_unique<SampleEvaluator>(c, *r.data, r.root, &r.out);
  r.out << "genlab run '" << c.name << "': " << r.family->describe() << " on " << c.data.name;
  if (r.family->trainable()) {
    r.phase = "training (train.batch_size " + std::to_string(c.train.batch_size) + " and the model's size)";
    r.out << ", batches of " << c.train.batch_size << " -> " << r.file.path() << "\n";
    train(r, resuming);
  } else {
    r.out << " -> " << r.file.path() << "\n";
  }
  if (r.status == "completed") {
    r.phase = "finishing";
    try {
      summary.variants = finish(r);
    } catch (const RunInterrupted&) {  // Ctrl-C inside a variant: the rows done are kept
      r.status = "interrupted";
    }
  }
  summary.status = r.status;
  r.file.set_status(summary.status);
  if (!summary.variants.empty()) {
    std::vector<SummaryRow> shown = summary.variants;
    shown.insert(shown.end(), r.reference_rows.begin(), r.reference_rows.end());
    r.out << "\n" << format_variants_table(shown);
  }
  r.out << "run file: " << r.file.path() << " (" << summary.status << ")\n";
  if (summary.status == "interrupted") r.out << "continue with: " << resume_command(r.file.path()) << "\n";
  if (c.output.path.empty() && !resuming && latest_is(c, r.file.path()))
    r.out << "latest run of '" << c.name << "': " << c.output.folder << "/" << c.name << "/latest/run.h5\n";
  return summary;
}

}  // namespace

DeviceSpec open_device(const std::string& device) {
  const DeviceSpec spec = parse_device(device);
  if (spec.device == Device::cuda) {
    select_cuda_device(spec.index);
    backend(Device::cuda);  // throws the clear message when there is no driver or GPU
  }
  return spec;
}

RunSummary run_experiment(const ExperimentConfig& c, std::ostream& console,
                          const RunOptions& options) {
  if (c.threads > 0) set_num_threads(c.threads);
  // Every tensor the run makes without naming a device (parameters, batches, noise) is
  // made on the config's device; results come back through to_vector().
  const DeviceSpec device = open_device(c.device);
  const DefaultDevice device_scope(device.device);
  const Communicator& comm = options.comm ? *options.comm : world();
  const bool writer = comm.rank() == 0;  // rank 0 alone writes files and the console
  check_same_config(c, options, comm);
  const bool resuming = !options.resume.empty();
  // Everything that can fail early, before any file is touched.
  const Generator root(c.seed);
  // Named members, not a structured binding: lambdas below capture them (clang 14, the
  // fuzz build's compiler, captures no bindings).
  DataAndFamily built = build_data_and_family(c, root, comm);
  std::unique_ptr<Dataset>& data = built.data;
  std::unique_ptr<Family>& family = built.family;
  const std::string threads_line = set_threads(c, *family, comm.size());
  std::string path;
  if (writer) path = resuming ? options.resume : place_new_run(c, options.overwrite);
  comm.broadcast(path, 0);
  std::ostringstream lock_notice;
  std::unique_ptr<RunLock> lock;
  std::unique_ptr<RunLog> log;
  std::ostringstream silent;  // the console of the other ranks
  if (writer) {
    lock = std::make_unique<RunLock>(
        path, resuming ? RunLock::Stale::take_over : RunLock::Stale::refuse, &lock_notice);
    // From here on every line also goes to the log beside the run file (run_log.h).
    log = std::make_unique<RunLog>(path, console, resuming);
  }
  std::ostream& out = writer ? log->stream() : silent;
  out << lock_notice.str() << threads_line;
  for (const auto& note : c.notes) out << "note: " << note << "\n";
  if (comm.size() > 1)
    out << "data parallel: " << comm.size() << " ranks (" << comm.kind()
        << "), each on its share of every batch of " << c.train.batch_size << "\n";
  std::unique_ptr<RunFile> opened;
  try {
    opened = std::make_unique<RunFile>(!writer   ? RunFile::discard()
                                       : resuming ? open_for_resume(path, c, out, comm.size())
                                                  : create_run_file(c, path, options.command_line));
  } catch (const std::exception& e) {
    if (log) log->error(e.what());
    throw;
  }
  RunFile& file = *opened;
  try {
    file.batch([&] {
      file.set_attr("world_size", static_cast<int64_t>(comm.size()));
      file.set_attr("device", device.str());
      file.set_attr("device_name", backend(device.device).describe());
      if (family->trainable()) {  // the model's size, for `genlab info` and notebooks
        file.set_attr("parameters", family->parameter_count());
        file.set_attr("trainable_parameters", family->trainable_parameter_count());
      }
    });
  } catch (const std::exception& e) {
    fail_run(log.get(), file, e.what());
    throw;
  }
  const StopSignalGuard stop_guard;
  if (writer) StopSignalGuard::set_resume_hint("continue with: " + resume_command(file.path()) + "\n");
  Run r{c, file, out, root, std::move(data), std::move(family), nullptr};
  r.comm = &comm;
  try {
    return train_and_finish(r, resuming);
  } catch (const std::bad_alloc& e) {
    const auto* oom = dynamic_cast<const OutOfMemory*>(&e);
    const std::string message = "out of memory while " + r.phase + ": " + e.what() +
                                (oom ? memory_hint(c, oom->shape(), r.data->dims()) : "");
    fail_run(log.get(), file, message);
    throw std::runtime_error(message);
  } catch (const std::exception& e) {
    fail_run(log.get(), file, e.what());
    throw;
  }
}

SummaryRow add_variant(const std::string& path, const std::string& sampler,
                       const std::vector<std::string>& settings, std::ostream& out,
                       const std::string& device_override, int threads) {
  const RunLock lock(path, RunLock::Stale::refuse);  // before reading: a writer may be mid-write
  RunFile file = RunFile::open(path);
  const auto attrs = file.attrs();
  const ExperimentConfig c =
      parse_experiment_config(RunFile::config_yaml(attrs, path), path + " (stored config)");
  const SamplerVariant v = parse_sampler_variant(sampler, settings, c);
  // Run files hold host values, so a run trained on one device samples on another.
  const DeviceSpec device = open_device(device_override.empty() ? c.device : device_override);
  const DefaultDevice device_scope(device.device);
  auto rows = file.read_summary();
  for (const auto& r : rows)
    if (r.text.count("name") && r.text.at("name") == v.name)
      throw std::runtime_error(path + ": a variant named '" + v.name +
                               "' exists already (pick another with name=...)");
  const auto data = make_dataset(c.data, c.seed);
  const Generator root(c.seed);
  const std::unique_ptr<Family> family = find_family(c.model.family).make({c.model, c.train, c.data, to_yaml(c), *data, root});
  // Threads as `genlab run` chose them (a small network samples fastest on one thread;
  // OpenMP's default of every core made this 4-10x slower than the run's own variants),
  // or --threads.
  ExperimentConfig threads_from = c;
  if (threads >= 0) threads_from.threads = threads;
  out << set_threads(threads_from, *family, 1);
  if (family->trainable()) {
    if (!file.exists("/model/ema"))
      throw std::runtime_error(path + ": no /model/ema to sample from (did training finish?)");
    try {
      family->load_sampling_weights(file.read_tensors("model/ema"));
    } catch (const std::exception& e) {
      throw std::runtime_error(path + ": /model/ema does not fit the model its config describes (" + e.what() + ")");
    }
  }
  const auto target = family->sampling_target();
  if (!target)
    throw std::runtime_error(path + ": the " + c.model.family + " family has no sampler variants");
  const VariantContext ctx = make_variant_context(*target, c, *data, root);
  // One write: a failure (a full disk, Ctrl-C) leaves the run exactly as it was.
  file.batch([&] {
    rows.push_back(run_variant(ctx, v, file));
    file.write_summary(rows);
  });
  out << format_variants_table({rows.back()});
  return rows.back();
}

}  // namespace genlab
