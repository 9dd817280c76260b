// The family plug: a family defined only here (a diagonal Gaussian fitted by maximum
// likelihood, sampled through its exact denoiser) registers itself and runs end to end
// through run, sample, compare and resume, with nothing in genlab/experiments/ knowing it.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "genlab/core/autograd.h"
#include "genlab/core/nn/module.h"
#include "genlab/core/ops.h"
#include "genlab/core/optim/optimizer.h"
#include "genlab/experiments/families/family.h"
#include "genlab/experiments/families/registry.h"
#include "genlab/experiments/cli/runner.h"
#include "tests/experiments/temp_paths.h"
#include "genlab/experiments/eval/variants_table.h"

using namespace genlab;

namespace {

struct GaussianFitOptions {
  std::string process = "vp";
  double init_log_variance = 0.0;
};

template <class V>
void fields(V& v, GaussianFitOptions& o) {
  v.field("process", o.process, "the process the samplers integrate", one_of(process_names()));
  v.field("init_log_variance", o.init_log_variance, "initial log variance", between(-10, 10));
}

// N(mean, diag(exp(log_variance))): its parameters and its exact denoiser
// D(x; sigma) = mean + var / (var + sigma^2) (x - mean).
class DiagonalGaussian : public Module, public Denoiser {
 public:
  DiagonalGaussian(int64_t dims, double log_variance) : dims_(dims) {
    mean_ = register_parameter("mean", Tensor::zeros({1, dims}));
    log_variance_ =
        register_parameter("log_variance", Tensor::full({1, dims}, static_cast<float>(log_variance)));
  }
  Tensor nll(const Tensor& x) const {  // mean over the batch, nats per example
    const Tensor z = square(x - mean_) / exp(log_variance_);
    return mul_scalar(mean(sum(z + log_variance_, {1})), 0.5f) +
           Tensor::full({}, static_cast<float>(0.5 * dims_ * std::log(2 * M_PI)));
  }
  Tensor denoise(const Tensor& x, const Tensor& sigma) const override {
    const Tensor var = exp(log_variance_);
    const Tensor s2 = reshape(square(sigma), {-1, 1});
    return mean_ + var / (var + s2) * (x - mean_);
  }
  int64_t dims() const override { return dims_; }

 private:
  int64_t dims_;
  Tensor mean_, log_variance_;
};

int64_t g_crash_at_step = -1;  // > 0: train_step throws there (a crash mid-run)
int64_t g_spike_at_step = -1;  // > 0: train_step reports a finite but exploded loss (1e15) there

class GaussianFitFamily final : public Family {
 public:
  explicit GaussianFitFamily(const FamilyContext& c)
      : o_(c.options<GaussianFitOptions>()),
        model_(c.data.dims(), o_.init_log_variance),
        adam_(model_.named_parameters(), {.lr = static_cast<float>(c.train.lr)}) {}
  std::string describe() const override { return "gaussian_fit"; }
  Step train_step(const Batch& batch, Generator&, float lr) override {
    if (++steps_ == g_crash_at_step) throw std::runtime_error("injected crash");
    adam_.set_lr(lr);
    adam_.zero_grad();
    const Tensor loss = model_.nll(batch.x);
    loss.backward();
    adam_.step();
    if (steps_ == g_spike_at_step) return {1e15, grad_norm(model_.parameters())};
    return {loss.item(), grad_norm(model_.parameters())};
  }
  NamedTensorMap weights() const override { return model_.state_dict(); }
  void load_sampling_weights(const NamedTensorMap& w) override { model_.load_state_dict(w); }
  TrainingState save() const override {
    return {{{"params", model_.state_dict()},
             {"optimizer", flatten_optimizer_state(adam_.state_dict())}},
            {{"optimizer_step", std::to_string(adam_.state_dict().step)},
             {"steps", std::to_string(steps_)}}};
  }
  void load(const TrainingState& s) override {
    model_.load_state_dict(state_group(s, "params"));
    adam_.load_state_dict(unflatten_optimizer_state(state_group(s, "optimizer"),
                                                    std::stoll(state_attr(s, "optimizer_step"))));
    steps_ = std::stoll(state_attr(s, "steps"));
  }
  std::optional<SamplingTarget> sampling_target() override {
    return SamplingTarget{.denoiser = &model_, .process = make_process(o_.process), .sigma_data = 1.0};
  }
  std::map<std::string, double> evaluate(const Dataset& data) override {
    NoGradGuard no_grad;
    Generator g(7);
    return {{"nll", model_.nll(data.draw(2000, g)).item()}};
  }

 private:
  GaussianFitOptions o_;
  DiagonalGaussian model_;
  Adam adam_;
  int64_t steps_ = 0;
};

void register_gaussian_fit() {
  register_family({"gaussian_fit", "a diagonal Gaussian fitted by maximum likelihood (tests)",
                   ChosenOptions::of(GaussianFitOptions{}),
                   [](const ChosenOptions& o) { return o.as<GaussianFitOptions>().process; },
                   [](const FamilyContext& c) -> std::unique_ptr<Family> {
                     return std::make_unique<GaussianFitFamily>(c);
                   }});
}

using genlab::testing::temp_path;

// One Gaussian component as the data: N((0.3, -0.2), diag(0.25, 4)). Means near 0 keep
// the PF-ODE likelihood's prior N(0, sigma_max^2 + 1) close to the truth (its error per
// point is about z mu / sigma_max, z the point's standard score).
const char* kPlug = R"(name: plug
seed: 4
data: {name: mixture, weights: [1], means: [[0.3, -0.2]], variances: [[0.25, 4]]}
model: {family: gaussian_fit, process: vp}
train: {steps: 400, batch_size: 256, lr: 0.05, log_every: 50, eval_every: 200, checkpoint_every: 100}
evaluate: {samples: 4000, likelihood: true, likelihood_samples: 200, likelihood_trace: exact}
samplers:
  - {sampler: heun, steps: 40}
  - {sampler: euler_ancestral, steps: 200}
)";

Tensor column_moment(const Tensor& x, int power) {
  return mean(power == 1 ? x : square(x - mean(x, {0}, true)), {0});
}

}  // namespace

TEST_CASE("a family defined in a test plugs into run, sample, compare and resume", "[plug]") {
  register_gaussian_fit();
  const std::string path = temp_path("plug.h5");
  std::ostringstream log;
  const ExperimentConfig c = parse_experiment_config(kPlug, "plug.yaml", {"output.path=" + path});
  // Its keys are read, resolved and written like any family's.
  CHECK(c.model.options.as<GaussianFitOptions>().process == "vp");
  CHECK(to_yaml(parse_experiment_config(to_yaml(c), "resolved.yaml")) == to_yaml(c));
  CHECK_THROWS_WITH(parse_experiment_config("model: {family: gaussian_fit, procss: vp}\n", "p.yaml"),
                    Catch::Matchers::Contains("p.yaml:1:31: model.procss: unknown key"));

  REQUIRE(run_experiment(c, log).status == "completed");
  RunFile f = RunFile::open(path);
  // Maximum likelihood finds the data's mean and variances.
  const auto w = f.read_tensors("model");
  const auto mu = w.at("mean").to_vector(), lv = w.at("log_variance").to_vector();
  CHECK(mu[0] == Approx(0.3).margin(0.1));
  CHECK(mu[1] == Approx(-0.2).margin(0.3));
  CHECK(std::exp(lv[0]) == Approx(0.25).epsilon(0.15));
  CHECK(std::exp(lv[1]) == Approx(4.0).epsilon(0.15));
  // Both variants sample the fitted Gaussian through its exact denoiser.
  for (const char* v : {"heun-40", "euler_ancestral-200"}) {
    const Tensor x = f.read_samples(v);
    const auto m = column_moment(x, 1).to_vector(), var = column_moment(x, 2).to_vector();
    CHECK(m[0] == Approx(mu[0]).margin(0.05));
    CHECK(m[1] == Approx(mu[1]).margin(0.15));
    CHECK(var[0] == Approx(std::exp(lv[0])).epsilon(0.1));
    CHECK(var[1] == Approx(std::exp(lv[1])).epsilon(0.1));
  }
  // The likelihood used the target's denoiser: its NLL is the fitted Gaussian's, close to
  // the true density's (stored per point for outside checks).
  const auto lik = f.read_columns("likelihood");
  const auto points = f.read_tensors("likelihood_points");
  CHECK(points.at("nll_nats").shape() == Shape{200});
  CHECK(points.at("x").shape() == Shape{200, 2});
  const auto x = points.at("x").to_vector(), nll = points.at("nll_nats").to_vector();
  double mean_nll = 0;
  for (size_t i = 0; i < nll.size(); ++i) {
    double exact = 0;  // -log N(x_i; mean, diag(var)) of the fitted Gaussian
    for (int d = 0; d < 2; ++d)
      exact += 0.5 * (std::pow(x[2 * i + d] - mu[d], 2) / std::exp(lv[d]) + lv[d] + std::log(2 * M_PI));
    CHECK(nll[i] == Approx(exact).margin(0.02));
    mean_nll += nll[i] / nll.size();
  }
  CHECK(lik.at("nll_nats").at(0) == Approx(mean_nll).margin(1e-4));

  // sample: a new variant from the stored weights equals the run's own from the same noise.
  std::ostringstream sample_log;
  const SummaryRow row = add_variant(path, "heun", {"steps=40", "name=again"}, sample_log);
  CHECK(row.numbers.at("nfe") == 79);
  CHECK(max(abs(f.read_samples("again") - f.read_samples("heun-40")), {}).item() == 0.0f);
  // Threads as the run chose them (a small network: one), or --threads.
  CHECK_THAT(sample_log.str(), Catch::Matchers::Contains("threads: 1 (auto"));
  std::ostringstream two_log;
  add_variant(path, "heun", {"steps=40", "name=again2"}, two_log, "", 2);
  CHECK(two_log.str().find("threads: 1 (auto") == std::string::npos);
  CHECK(max(abs(f.read_samples("again2") - f.read_samples("heun-40")), {}).item() < 1e-5f);
  // compare: the run's variants in one table.
  const std::string table = compare_runs({path});
  CHECK_THAT(table, Catch::Matchers::Contains("euler_ancestral-200"));
  CHECK_THAT(table, Catch::Matchers::Contains("again"));

  // resume: a crash at step 250 leaves the checkpoint of step 200; resuming reaches the
  // uninterrupted run's weights bitwise.
  const std::string crashed = temp_path("plug_crashed.h5");
  const ExperimentConfig c2 =
      parse_experiment_config(kPlug, "plug.yaml", {"output.path=" + crashed});
  g_crash_at_step = 250;
  CHECK_THROWS_WITH(run_experiment(c2, log), Catch::Matchers::Contains("injected crash"));
  g_crash_at_step = -1;
  CHECK(RunFile::open(crashed).attrs().at("status") == "failed");
  CHECK(RunFile::open(crashed).group_attrs("checkpoint").at("step") == "200");
  REQUIRE(run_experiment(c2, log, crashed).status == "completed");
  const auto resumed = RunFile::open(crashed).read_tensors("model");
  for (const auto& [name, t] : w) CHECK(max(abs(t - resumed.at(name)), {}).item() == 0.0f);
  CHECK(RunFile::open(crashed).read_columns("train") .at("loss") == f.read_columns("train").at("loss"));
}

TEST_CASE("a loss that explodes but stays finite stops the run (train.divergence)", "[runner][family][safety]") {
  register_gaussian_fit();
  std::ostringstream log;
  const std::string path = temp_path("spike.h5"), off = temp_path("spike_off.h5");
  g_spike_at_step = 150;
  CHECK_THROWS_WITH(run_experiment(parse_experiment_config(kPlug, "plug.yaml", {"output.path=" + path}), log),
                    Catch::Matchers::Contains("step 150: the loss is 1.000e+15") &&
                        Catch::Matchers::Contains("times the median of the last") &&
                        Catch::Matchers::Contains("checkpoint of step 100"));
  const RunFile f = RunFile::open(path);
  CHECK(f.attrs().at("status") == "failed");
  CHECK(f.group_attrs("checkpoint").at("step") == "100");
  // train.divergence: 0 turns the rule off: the same run completes.
  CHECK(run_experiment(parse_experiment_config(kPlug, "plug.yaml", {"output.path=" + off, "train.divergence=0"}), log)
            .status == "completed");
  g_spike_at_step = -1;
}
