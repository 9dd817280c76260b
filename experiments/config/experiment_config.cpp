#include "experiments/config/experiment_config.h"

#include <yaml-cpp/yaml.h>

#include <set>

#include "experiments/config/yaml_section.h"
#include "experiments/datasets.h"
#include "models/vae/estimators.h"

namespace genlab {
namespace {

void read_vae(Section& m, VAEConfig& v, bool images) {
  v.latent = m.choice("latent", v.latent, {"gaussian", "categorical"});
  const bool cat = v.latent == "categorical";
  v.latent_dim = m.get("latent_dim", v.latent_dim);
  m.check(v.latent_dim >= 1 && v.latent_dim <= 100000, "latent_dim", "must be in [1, 100000]");
  v.categories = m.get("categories", v.categories);
  m.check(v.categories >= 2 && v.categories <= 100000, "categories", "must be in [2, 100000]");
  v.hidden = m.get("hidden", v.hidden);
  m.check(v.hidden >= 1 && v.hidden <= 100000, "hidden", "must be in [1, 100000]");
  v.depth = m.get("depth", v.depth);
  m.check(v.depth >= 0 && v.depth <= 100, "depth", "must be in [0, 100]");
  v.activation =
      m.choice("activation", v.activation, {"relu", "silu", "gelu", "tanh", "sigmoid", "softplus"});
  v.likelihood = m.choice("likelihood",
                          v.likelihood.empty() ? (images ? "bernoulli" : "gaussian") : v.likelihood,
                          {"bernoulli", "gaussian"});
  v.learn_variance = m.get("learn_variance", v.learn_variance);
  v.log_variance = m.get("log_variance", v.log_variance);
  v.estimator = m.choice(
      "estimator", v.estimator.empty() ? (cat ? "gumbel_st" : "reparameterization") : v.estimator,
      estimator_names());
  if (!estimator_fits_latent(parse_estimator(v.estimator), cat))
    m.fail("estimator", "'" + v.estimator + "' does not apply to " + v.latent + " latents (" +
                            (cat ? "use gumbel_soft, gumbel_st, reinforce or reinforce_baseline"
                                 : "use reparameterization, reinforce or reinforce_baseline") +
                            ")");
  v.beta = m.get("beta", v.beta);
  m.check(v.beta >= 0, "beta", "must be >= 0");
  v.kl_warmup_steps = m.get("kl_warmup_steps", v.kl_warmup_steps);
  m.check(v.kl_warmup_steps >= 0, "kl_warmup_steps", "must be >= 0");
  v.tau = m.get("tau", v.tau);
  m.check(v.tau > 0, "tau", "must be > 0");
  v.tau_min = m.get("tau_min", v.tau_min);
  m.check(v.tau_min > 0 && v.tau_min <= v.tau, "tau_min", "must be in (0, tau]");
  v.tau_rate = m.get("tau_rate", v.tau_rate);
  m.check(v.tau_rate >= 0, "tau_rate", "must be >= 0");
  v.baseline_decay = m.get("baseline_decay", v.baseline_decay);
  m.check(v.baseline_decay >= 0 && v.baseline_decay < 1, "baseline_decay", "must be in [0, 1)");
  v.samples = m.get("samples", v.samples);
  m.check(v.samples >= 0 && v.samples <= 100000, "samples", "must be in [0, 100000]");
  v.reconstructions = m.get("reconstructions", v.reconstructions);
  m.check(v.reconstructions >= 0 && v.reconstructions <= 10000, "reconstructions",
          "must be in [0, 10000]");
  v.iwae_k = m.get("iwae_k", v.iwae_k);
  m.check(v.iwae_k >= 1 && v.iwae_k <= 1000000, "iwae_k", "must be in [1, 1000000]");
  v.iwae_examples = m.get("iwae_examples", v.iwae_examples);
  m.check(v.iwae_examples >= 0, "iwae_examples", "must be >= 0 (0: the whole test set)");
  Section st = m.section("estimator_study");
  auto& s = v.study;
  s.enabled = st.get("enabled", s.enabled);
  s.estimators = st.choice_list("estimators", estimator_names());
  for (const auto& e : s.estimators)
    if (!estimator_fits_latent(parse_estimator(e), cat))
      st.fail("estimators", "'" + e + "' does not apply to " + v.latent + " latents");
  s.repeats = st.get("repeats", s.repeats);
  st.check(s.repeats >= 2, "repeats", "must be >= 2");
  s.samples = st.get("samples", s.samples);
  st.check(s.samples >= 1, "samples", "must be >= 1");
  s.reference_samples = st.get("reference_samples", s.reference_samples);
  st.check(s.reference_samples >= 2, "reference_samples", "must be >= 2");
  s.batch = st.get("batch", s.batch);
  st.check(s.batch >= 1, "batch", "must be >= 1");
  st.finish();
}

void read_model(Section m, ModelConfig& c, const std::string& data_name) {
  c.family = m.choice("family", c.family, {"diffusion", "analytic", "autoregressive", "vae"});
  const bool images = is_image_data(data_name);
  if (c.family == "vae") {
    read_vae(m, c.vae, images);
    m.finish();
    return;
  }
  if (c.family == "autoregressive") {
    if (!images)
      m.fail("family",
             "the autoregressive family models binary images (data.name: fashion_mnist or hdf5)");
    auto& a = c.autoregressive;
    a.arch = m.choice("arch", a.arch, {"fvsbn", "nade", "made"});
    if (const auto hidden = m.int_list("hidden"); !hidden.empty()) a.hidden = hidden;
    for (int64_t h : a.hidden)
      m.check(h >= 1 && h <= 100000, "hidden", "sizes must be in [1, 100000]");
    m.check(!a.hidden.empty(), "hidden", "needs at least one layer");
    a.activation = m.choice("activation", a.activation,
                            {"relu", "silu", "gelu", "tanh", "sigmoid", "softplus"});
    a.ordering = m.choice("ordering", a.ordering, {"natural", "random"});
    a.num_masks = m.get("num_masks", a.num_masks);
    m.check(a.num_masks >= 1 && a.num_masks <= 1000, "num_masks", "must be in [1, 1000]");
    a.ensemble = m.get("ensemble", a.ensemble);
    m.check(a.ensemble >= 1 && a.ensemble <= a.num_masks, "ensemble", "must be in [1, num_masks]");
    a.direct = m.get("direct", a.direct);
    a.samples = m.get("samples", a.samples);
    m.check(a.samples >= 0 && a.samples <= 100000, "samples", "must be in [0, 100000]");
    m.finish();
    return;
  }
  if (images) m.fail("family", "binary image data needs the autoregressive or vae family");
  if (c.family == "analytic" && data_name.rfind("mixture/", 0) != 0)
    m.fail("family",
           "the analytic family needs an exact mixture as data.name (mixture/eight_gaussians, "
           "mixture/grid25), got '" +
               data_name + "'");
  auto& p = c.preconditioning;
  p.process = m.choice("process", p.process, preconditioning_processes());
  if (c.family == "analytic") {
    m.finish();
    return;
  }
  p.parameterization = m.choice("parameterization", p.parameterization, output_parameterizations());
  p.sigma_data = m.get("sigma_data", p.sigma_data);
  m.check(p.sigma_data > 0, "sigma_data", "must be > 0");
  p.flow_t = m.choice("flow_t", p.flow_t, {"uniform", "logit_normal"});
  Section n = m.section("net");
  auto& net = c.net;
  net.width = n.get("width", net.width);
  n.check(net.width >= 1 && net.width <= 65536, "width", "must be in [1, 65536]");
  net.depth = n.get("depth", net.depth);
  n.check(net.depth >= 1 && net.depth <= 64, "depth", "must be in [1, 64]");
  net.activation = n.choice("activation", net.activation,
                            {"relu", "silu", "gelu", "gelu_tanh", "tanh", "sigmoid", "softplus"});
  net.embedding = n.choice("embedding", net.embedding, {"sinusoidal", "fourier"});
  net.embedding_dim = n.get("embedding_dim", net.embedding_dim);
  n.check(net.embedding_dim >= 2 && net.embedding_dim % 2 == 0, "embedding_dim",
          "must be even and >= 2");
  net.fourier_scale = n.get("fourier_scale", net.fourier_scale);
  net.residual = n.get("residual", net.residual);
  n.finish();
  m.finish();
}

void read_train(Section t, TrainConfig& c) {
  c.steps = t.get("steps", c.steps);
  t.check(c.steps >= 0, "steps", "must be >= 0");
  c.batch_size = t.get("batch_size", c.batch_size);
  t.check(c.batch_size >= 1 && c.batch_size <= (1 << 24), "batch_size", "must be in [1, 16777216]");
  c.lr = t.get("lr", c.lr);
  t.check(c.lr > 0 && c.lr < 10, "lr", "must be in (0, 10)");
  c.schedule = t.choice("schedule", c.schedule, {"constant", "linear_warmup", "cosine"});
  c.warmup_steps = t.get("warmup_steps", c.warmup_steps);
  t.check(c.warmup_steps >= 0, "warmup_steps", "must be >= 0");
  c.ema_decay = t.get("ema_decay", c.ema_decay);
  t.check(c.ema_decay >= 0 && c.ema_decay < 1, "ema_decay", "must be in [0, 1)");
  c.grad_clip = t.get("grad_clip", c.grad_clip);
  t.check(c.grad_clip >= 0, "grad_clip", "must be >= 0 (0: off)");
  c.log_every = t.get("log_every", c.log_every);
  t.check(c.log_every >= 1, "log_every", "must be >= 1");
  c.eval_every = t.get("eval_every", c.eval_every);
  t.check(c.eval_every >= 0, "eval_every", "must be >= 0 (0: only at the end)");
  c.checkpoint_every = t.get("checkpoint_every", c.checkpoint_every);
  t.check(c.checkpoint_every >= 0 && c.checkpoint_every % c.log_every == 0, "checkpoint_every",
          "must be >= 0 and a multiple of log_every (" + std::to_string(c.log_every) + ")");
  t.finish();
}

void read_evaluate(Section e, EvaluateConfig& c) {
  c.samples = e.get("samples", c.samples);
  e.check(c.samples >= 2 && c.samples <= 1000000, "samples", "must be in [2, 1000000]");
  c.eval_steps = e.get("eval_steps", c.eval_steps);
  e.check(c.eval_steps >= 1, "eval_steps", "must be >= 1");
  c.likelihood = e.get("likelihood", c.likelihood);
  c.likelihood_samples = e.get("likelihood_samples", c.likelihood_samples);
  e.check(c.likelihood_samples >= 1, "likelihood_samples", "must be >= 1");
  c.likelihood_trace = e.choice("likelihood_trace", c.likelihood_trace, {"exact", "hutchinson"});
  e.finish();
}

SamplerVariant read_variant(Section v) {
  SamplerVariant s;
  s.sampler = v.get<std::string>("sampler", "");
  if (s.sampler.empty()) v.fail("sampler", "missing required key");
  const auto& names = sampler_names();
  if (std::find(names.begin(), names.end(), s.sampler) == names.end()) {
    const std::string hint = did_you_mean(s.sampler, names);
    std::string allowed;
    for (const auto& n : names) allowed += (allowed.empty() ? "" : ", ") + n;
    v.fail("sampler", "unknown sampler '" + s.sampler + "'" +
                          (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                          "; allowed: " + allowed);
  }
  s.steps = v.get("steps", default_steps(s.sampler));
  v.check(s.steps >= 1 && s.steps <= 100000, "steps", "must be in [1, 100000]");
  s.name = v.get<std::string>("name", s.sampler + "-" + std::to_string(s.steps));
  v.check(!s.name.empty() && s.name.find('/') == std::string::npos, "name",
          "must be non-empty, without '/'");
  s.grid.kind = v.choice("grid", "edm", time_grid_kinds());
  s.grid.steps = s.steps;
  s.grid.rho = v.get("rho", s.grid.rho);
  s.grid.shift = v.get("shift", s.grid.shift);
  s.options = v.number_map("options");
  try {
    make_sampler(s.sampler, s.options);  // validates option names and values
  } catch (const std::invalid_argument& e) {
    v.fail("options", e.what());
  }
  v.finish();
  return s;
}

ExperimentConfig read(const YamlSource& src) {
  ExperimentConfig c;
  Section root = src.root();
  c.name = root.get("name", c.name);
  root.check(!c.name.empty() && c.name.find('/') == std::string::npos, "name",
             "must be non-empty, without '/'");
  c.seed = root.get("seed", c.seed);
  c.threads = root.get("threads", c.threads);
  root.check(c.threads >= 0 && c.threads <= 1024, "threads", "must be in [0, 1024] (0: all cores)");
  Section data = root.section("data");
  c.data.name = data.choice("name", c.data.name, dataset_names());
  if (is_image_data(c.data.name)) {
    auto& d = c.data;
    d.path = data.get("path", d.path);
    if (d.name == "hdf5" && d.path.empty())
      data.fail("path", "missing required key (the HDF5 file)");
    d.hdf5_dataset = data.get("hdf5_dataset", d.hdf5_dataset);
    d.binarize = data.choice("binarize", d.binarize, {"static", "dynamic"});
    d.threshold = data.get("threshold", d.threshold);
    data.check(d.threshold > 0 && d.threshold < 1, "threshold", "must be in (0, 1)");
    d.held_out_binarize =
        data.choice("held_out_binarize", d.held_out_binarize, {"threshold", "sample"});
    d.validation = data.get("validation", d.validation);
    data.check(d.validation >= 0, "validation", "must be >= 0");
    d.downsample = data.get("downsample", d.downsample);
  }
  data.finish();
  read_model(root.section("model"), c.model, c.data.name);
  c.model.net.dims = 2;  // vector data is 2-D here; the family takes dims from the data set
  read_train(root.section("train"), c.train);
  if (c.model.family == "analytic") c.train.steps = 0;
  read_evaluate(root.section("evaluate"), c.evaluate);
  std::set<std::string> seen;
  auto variants = root.list("samplers");
  for (auto& v : variants) {
    c.samplers.push_back(read_variant(v));
    if (!seen.insert(c.samplers.back().name).second)
      v.fail("name",
             "duplicate variant name '" + c.samplers.back().name + "' (give each a distinct name)");
  }
  Section out = root.section("output");
  c.output.path = out.get<std::string>("path", "runs/" + c.name + ".h5");
  out.finish();
  root.finish();
  return c;
}

// A variant's options with the sampler's defaults filled in (the resolved form).
SamplerParams make_sampler_options_resolved(const SamplerVariant& v) {
  SamplerParams o = sampler_defaults(v.sampler);
  for (const auto& [k, val] : v.options) o[k] = val;
  return o;
}

}  // namespace

ExperimentConfig load_experiment_config(const std::string& path,
                                        const std::vector<std::string>& overrides) {
  return read(YamlSource::load(path, overrides));
}

ExperimentConfig parse_experiment_config(const std::string& yaml_text, const std::string& name,
                                         const std::vector<std::string>& overrides) {
  return read(YamlSource::parse(yaml_text, name, overrides));
}

SamplerVariant parse_sampler_variant(const std::string& sampler,
                                     const std::vector<std::string>& key_values) {
  // name, steps, grid, rho and shift are the variant's own keys; anything else is a
  // sampler option. Built as YAML so that values are typed and checked as in a config.
  YAML::Node node(YAML::NodeType::Map);
  node["sampler"] = sampler;
  for (const auto& kv : key_values) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      throw ConfigError("command line '" + kv + "': expected key=value");
    const std::string key = kv.substr(0, eq);
    YAML::Node value;
    try {
      value = YAML::Load(kv.substr(eq + 1));
    } catch (const YAML::ParserException& e) {
      throw ConfigError("command line '" + kv + "': the value is not valid YAML: " + e.msg);
    }
    if (key == "name" || key == "steps" || key == "grid" || key == "rho" || key == "shift")
      node[key] = value;
    else
      node["options"][key] = value;
  }
  YAML::Emitter e;
  e << node;
  const YamlSource variant_src = YamlSource::parse(e.c_str(), "command line");
  return read_variant(variant_src.root());
}

std::string to_yaml(const ExperimentConfig& c) {
  YAML::Emitter e;
  e.SetDoublePrecision(15);  // 1.003, not 1.0029999999999999
  e << YAML::BeginMap;
  e << YAML::Key << "name" << YAML::Value << c.name;
  e << YAML::Key << "seed" << YAML::Value << c.seed;
  e << YAML::Key << "threads" << YAML::Value << c.threads;
  e << YAML::Key << "data" << YAML::Value << YAML::BeginMap << YAML::Key << "name" << YAML::Value
    << c.data.name;
  if (is_image_data(c.data.name)) {
    const auto& d = c.data;
    if (!d.path.empty()) e << YAML::Key << "path" << YAML::Value << d.path;
    e << YAML::Key << "hdf5_dataset" << YAML::Value << d.hdf5_dataset << YAML::Key << "binarize"
      << YAML::Value << d.binarize << YAML::Key << "threshold" << YAML::Value << d.threshold
      << YAML::Key << "held_out_binarize" << YAML::Value << d.held_out_binarize << YAML::Key
      << "validation" << YAML::Value << d.validation << YAML::Key << "downsample" << YAML::Value
      << d.downsample;
  }
  e << YAML::EndMap;
  const auto& p = c.model.preconditioning;
  const auto& n = c.model.net;
  e << YAML::Key << "model" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "family" << YAML::Value << c.model.family;
  if (c.model.family == "autoregressive") {
    const auto& a = c.model.autoregressive;
    e << YAML::Key << "arch" << YAML::Value << a.arch << YAML::Key << "hidden" << YAML::Value
      << YAML::Flow << a.hidden << YAML::Key << "activation" << YAML::Value << a.activation
      << YAML::Key << "ordering" << YAML::Value << a.ordering << YAML::Key << "num_masks"
      << YAML::Value << a.num_masks << YAML::Key << "ensemble" << YAML::Value << a.ensemble
      << YAML::Key << "direct" << YAML::Value << a.direct << YAML::Key << "samples" << YAML::Value
      << a.samples;
  } else if (c.model.family == "vae") {
    const auto& v = c.model.vae;
    e << YAML::Key << "latent" << YAML::Value << v.latent << YAML::Key << "latent_dim"
      << YAML::Value << v.latent_dim << YAML::Key << "categories" << YAML::Value << v.categories
      << YAML::Key << "hidden" << YAML::Value << v.hidden << YAML::Key << "depth" << YAML::Value
      << v.depth << YAML::Key << "activation" << YAML::Value << v.activation << YAML::Key
      << "likelihood" << YAML::Value << v.likelihood << YAML::Key << "learn_variance" << YAML::Value
      << v.learn_variance << YAML::Key << "log_variance" << YAML::Value << v.log_variance
      << YAML::Key << "estimator" << YAML::Value << v.estimator << YAML::Key << "beta"
      << YAML::Value << v.beta << YAML::Key << "kl_warmup_steps" << YAML::Value << v.kl_warmup_steps
      << YAML::Key << "tau" << YAML::Value << v.tau << YAML::Key << "tau_min" << YAML::Value
      << v.tau_min << YAML::Key << "tau_rate" << YAML::Value << v.tau_rate << YAML::Key
      << "baseline_decay" << YAML::Value << v.baseline_decay << YAML::Key << "samples"
      << YAML::Value << v.samples << YAML::Key << "reconstructions" << YAML::Value
      << v.reconstructions << YAML::Key << "iwae_k" << YAML::Value << v.iwae_k << YAML::Key
      << "iwae_examples" << YAML::Value << v.iwae_examples;
    const auto& s = v.study;
    e << YAML::Key << "estimator_study" << YAML::Value << YAML::BeginMap << YAML::Key << "enabled"
      << YAML::Value << s.enabled << YAML::Key << "estimators" << YAML::Value << YAML::Flow
      << s.estimators << YAML::Key << "repeats" << YAML::Value << s.repeats << YAML::Key
      << "samples" << YAML::Value << s.samples << YAML::Key << "reference_samples" << YAML::Value
      << s.reference_samples << YAML::Key << "batch" << YAML::Value << s.batch << YAML::EndMap;
  } else {
    e << YAML::Key << "process" << YAML::Value << p.process;
  }
  if (c.model.family == "diffusion") {
    e << YAML::Key << "parameterization" << YAML::Value << p.parameterization;
    e << YAML::Key << "sigma_data" << YAML::Value << p.sigma_data;
    e << YAML::Key << "flow_t" << YAML::Value << p.flow_t;
    e << YAML::Key << "net" << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "width" << YAML::Value << n.width << YAML::Key << "depth" << YAML::Value
      << n.depth;
    e << YAML::Key << "activation" << YAML::Value << n.activation;
    e << YAML::Key << "embedding" << YAML::Value << n.embedding;
    e << YAML::Key << "embedding_dim" << YAML::Value << n.embedding_dim;
    e << YAML::Key << "fourier_scale" << YAML::Value << n.fourier_scale;
    e << YAML::Key << "residual" << YAML::Value << n.residual << YAML::EndMap;
  }
  e << YAML::EndMap;
  const auto& t = c.train;
  e << YAML::Key << "train" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "steps" << YAML::Value << t.steps << YAML::Key << "batch_size" << YAML::Value
    << t.batch_size;
  e << YAML::Key << "lr" << YAML::Value << t.lr << YAML::Key << "schedule" << YAML::Value
    << t.schedule;
  e << YAML::Key << "warmup_steps" << YAML::Value << t.warmup_steps;
  e << YAML::Key << "ema_decay" << YAML::Value << t.ema_decay << YAML::Key << "grad_clip"
    << YAML::Value << t.grad_clip;
  e << YAML::Key << "log_every" << YAML::Value << t.log_every << YAML::Key << "eval_every"
    << YAML::Value << t.eval_every << YAML::Key << "checkpoint_every" << YAML::Value
    << t.checkpoint_every << YAML::EndMap;
  const auto& ev = c.evaluate;
  e << YAML::Key << "evaluate" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "samples" << YAML::Value << ev.samples << YAML::Key << "eval_steps"
    << YAML::Value << ev.eval_steps;
  e << YAML::Key << "likelihood" << YAML::Value << ev.likelihood;
  e << YAML::Key << "likelihood_samples" << YAML::Value << ev.likelihood_samples;
  e << YAML::Key << "likelihood_trace" << YAML::Value << ev.likelihood_trace << YAML::EndMap;
  e << YAML::Key << "samplers" << YAML::Value << YAML::BeginSeq;
  for (const auto& v : c.samplers) {
    e << YAML::BeginMap << YAML::Key << "name" << YAML::Value << v.name;
    e << YAML::Key << "sampler" << YAML::Value << v.sampler << YAML::Key << "steps" << YAML::Value
      << v.steps;
    e << YAML::Key << "grid" << YAML::Value << v.grid.kind << YAML::Key << "rho" << YAML::Value
      << v.grid.rho;
    e << YAML::Key << "shift" << YAML::Value << v.grid.shift;
    e << YAML::Key << "options" << YAML::Value << YAML::BeginMap;
    for (const auto& [k, val] : make_sampler_options_resolved(v))
      e << YAML::Key << k << YAML::Value << val;
    e << YAML::EndMap << YAML::EndMap;
  }
  e << YAML::EndSeq;
  e << YAML::Key << "output" << YAML::Value << YAML::BeginMap << YAML::Key << "path" << YAML::Value
    << c.output.path << YAML::EndMap;
  e << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}

}  // namespace genlab
