#include "genlab/experiments/experiment_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <sstream>

#include "genlab/core/device.h"
#include "genlab/core/optim/schedule.h"
#include "genlab/experiments/config/yaml_section.h"
#include "genlab/experiments/data/datasets.h"
#include "genlab/experiments/families/registry.h"
#include "genlab/experiments/nfe_budget.h"
#include "genlab/samplers/likelihood.h"

namespace genlab {

const DataConfig& data_of(const ExperimentConfig* experiment) {
  return experiment->data;
}

// The experiment's own sections. The data set's and the family's keys are declared
// beside them (genlab/experiments/data, genlab/experiments/families) and read through `options`.

// A section whose key `key` picks a row of a table, and that row's own keys.
template <class V, class Find>
void chosen_options(V& v, const char* key, std::string& name, ChosenOptions& options,
                    const char* doc, const std::vector<std::string>& names, Find find) {
  v.field(key, name, doc, one_of(names));
  if constexpr (V::reading) options = find(name).defaults;
  v.options(options);
}

template <class V>
void fields(V& v, DataConfig& d) {
  chosen_options(v, "name", d.name, d.options, "the data set (its own keys: the data tables below)",
                 dataset_names(), find_dataset);
}

template <class V>
void fields(V& v, ModelConfig& m) {
  chosen_options(v, "family", m.family, m.options,
                 "the model family (its own keys: the model tables below)", family_names(),
                 find_family);
}

template <class V>
void fields(V& v, TrainConfig& t) {
  v.field("steps", t.steps, "optimizer steps", at_least(0));
  v.field("epochs", t.epochs, "passes over a finite data set (images), instead of steps",
          at_least(0).with_note("0: use steps"));
  v.field("batch_size", t.batch_size, "examples per step", between(1, 1 << 24));
  v.field("drop_last", t.drop_last, "epochs: drop each epoch's last partial batch");
  v.field("lr", t.lr, "peak learning rate (Adam)", between(0, 10, "()"));
  v.field("schedule", t.schedule, "learning-rate schedule", one_of(lr_schedule_kinds()));
  v.field("warmup_steps", t.warmup_steps, "linear warm-up steps of the schedule", at_least(0));
  v.field("ema_decay", t.ema_decay,
          "EMA decay of the sampling weights, after a warm-up min(decay, (1 + n) / (10 + n))",
          between(0, 1, "[)"));
  v.field("grad_clip", t.grad_clip, "gradient-norm clipping", at_least(0).with_note("0: off"));
  v.field("divergence", t.divergence,
          "stop when a step's loss exceeds this multiple of the median loss of the last 200 steps",
          at_least(0).with_note("0: off"));
  v.field("log_every", t.log_every, "steps per /train row (losses averaged over them)",
          at_least(1));
  v.field("eval_every", t.eval_every, "steps between evaluations",
          at_least(0).with_note("0: only at the end"));
  v.field("eval_every_epochs", t.eval_every_epochs, "epochs between evaluations, instead",
          at_least(0).with_note("0: use eval_every"));
  v.field("checkpoint_every", t.checkpoint_every, "steps between checkpoints (and at the end)",
          at_least(0).with_note("0: only at the end"));
  v.field("checkpoint_every_epochs", t.checkpoint_every_epochs,
          "epochs between checkpoints, instead", at_least(0).with_note("0: use checkpoint_every"));
  v.field("replica_check_every", t.replica_check_every,
          "data-parallel runs (mpirun): steps between checks that every rank holds the same "
          "training state (a hash of parameters, optimizer, EMA)",
          at_least(0).with_note("0: only at the end"));
  v.check(t.warmup_steps == 0 || t.schedule != "constant", "warmup_steps",
          "needs schedule linear_warmup or cosine");
  if constexpr (V::reading) {
    // Counting in epochs replaces the step count (the resolved config then says 0 for the
    // count it does not use). Both in the file is an error, not a silent choice; one of
    // them from the command line wins over the other in the file, with a note, so that
    // `train.steps=50` shortens an epoch-based config.
    const TrainConfig d;
    auto one_of_two = [&](int64_t& epochs, int64_t& steps, int64_t default_steps, const char* key,
                          const char* epochs_key) {
      if (epochs == 0) return;
      const bool steps_override = v.overridden(key) && steps != 0;
      const bool both = v.has(key) && steps != 0 && (steps != default_steps || steps_override);
      if (both && steps_override != v.overridden(epochs_key)) {
        const bool steps_win = steps_override;
        v.note(std::string("train.") + (steps_win ? key : epochs_key) + "=" +
               std::to_string(steps_win ? steps : epochs) + " from the command line replaces the " +
               "config's train." + (steps_win ? epochs_key : key) + ": " +
               std::to_string(steps_win ? epochs : steps));
        (steps_win ? epochs : steps) = 0;
        return;
      }
      v.check(!both, key,
              std::string("give ") + key + " or " + epochs_key + ", not both (set " + epochs_key +
                  "=0 to count steps)");
      steps = 0;
    };
    one_of_two(t.epochs, t.steps, d.steps, "steps", "epochs");
    one_of_two(t.eval_every_epochs, t.eval_every, d.eval_every, "eval_every", "eval_every_epochs");
    one_of_two(t.checkpoint_every_epochs, t.checkpoint_every, d.checkpoint_every,
               "checkpoint_every", "checkpoint_every_epochs");
  }
}

template <class V>
void fields(V& v, EvaluateConfig& e) {
  v.field("samples", e.samples, "samples per evaluation and per variant", between(2, 1000000));
  v.field("eval_steps", e.eval_steps, "heun steps of the periodic evaluation", between(1, 100000));
  v.field("likelihood", e.likelihood, "PF-ODE NLL of held-out data (families with a denoiser)");
  v.field("likelihood_samples", e.likelihood_samples, "held-out points of the likelihood",
          between(1, 1000000));
  v.field("likelihood_trace", e.likelihood_trace, "divergence: exact or Hutchinson's estimate",
          one_of(likelihood_trace_kinds()));
  v.field("likelihood_probes", e.likelihood_probes, "hutchinson: probes averaged per evaluation",
          between(1, 1024));
  v.field("rk45_reference", e.rk45_reference,
          "each variant's rk45_distance: an rk45 solution (rtol = atol = 1e-6) from the first "
          "1000 of the shared noise (costly for image models)");
  v.field("bootstrap", e.bootstrap,
          "bootstrap replicates of each variant metric's interval (<metric>_lo, <metric>_hi); 0: none",
          between(0, 100000));
  v.field("confidence", e.confidence, "the two-sided confidence of those intervals", between(0.5, 0.999));
  v.field("classifier", e.classifier,
          "gray-level images: the classifier of fd and class_accuracy: auto (the committed "
          "Fashion-MNIST classifier, for 1x28x28 images), none, or a classifier file",
          non_empty());
  v.check(e.bootstrap != 1, "bootstrap", "one replicate has no spread: 0 (no intervals) or at least 2");
  // One evaluation denoises samples x eval_steps rows; past 1e9 it runs for hours.
  v.check(static_cast<double>(e.samples) * e.eval_steps <= 1e9, "eval_steps",
          "samples x eval_steps must be at most 1e9 denoiser rows per evaluation");
}

// The process the experiment samples under ("" when its family samples otherwise).
std::string sampling_process(const ExperimentConfig& c) {
  const FamilySpec& f = find_family(c.model.family);
  return f.process ? f.process(c.model.options) : "";
}

// nfe: B -> the steps that fit it. A resolved config holds both (steps the budget gave),
// which reads back; steps the budget would not give is an error.
template <class V>
void resolve_nfe_budget(V& v, SamplerVariant& s) {
  v.check(!sampler_is_adaptive(s.sampler), "nfe",
          "sampler '" + s.sampler + "' is adaptive: it chooses its own NFE (set its rtol and atol)");
  const ExperimentConfig& c = *v.context();
  const std::string process = sampling_process(c);
  v.check(!process.empty(), "nfe", "needs a model that samples through a denoiser");
  const FamilySpec& family = find_family(c.model.family);
  const int64_t classes = family.classes ? family.classes(c.model.options) : 0;
  const StepsForBudget b = steps_for_nfe_budget(s, process, classes, s.nfe);
  v.check(b.steps > 0, "nfe",
          "budget " + std::to_string(s.nfe) + " is below one step of sampler '" + s.sampler + "' (" +
              std::to_string(variant_nfe(s, process, classes, 1)) + " evaluations)");
  const bool steps_given = v.has("steps");
  v.check(!steps_given || s.steps == b.steps, "steps",
          "give steps or nfe, not both (nfe " + std::to_string(s.nfe) + " gives " + std::to_string(b.steps) +
              " steps of " + s.sampler + ")");
  if (!steps_given && b.nfe < s.nfe)
    v.note("samplers: " + s.name + ": " + std::to_string(b.steps) + " steps of " + s.sampler + " use " +
           std::to_string(b.nfe) + " of the " + std::to_string(s.nfe) + " NFE budget (" +
           std::to_string(b.steps + 1) + " would use " + std::to_string(variant_nfe(s, process, classes, b.steps + 1)) +
           ")");
  s.steps = b.steps;
  s.grid.steps = b.steps;
}

template <class V>
void fields(V& v, SamplerVariant& s) {
  v.field("name", s.name, "unique within the run, no '/'",
          Rule().or_auto("<sampler>-<steps>; rk45: rk45"));
  if constexpr (V::reading)
    if (!v.has("sampler")) v.fail("sampler", "missing required key");
  v.field("sampler", s.sampler, "the sampler (options: the sampler table below)",
          one_of(sampler_names()));
  if constexpr (V::reading)
    if (!v.has("steps")) s.steps = default_steps(s.sampler);
  v.field("steps", s.steps, "grid steps", between(1, 100000).with_note("default: the sampler's"));
  v.field("nfe", s.nfe,
          "an NFE budget instead of steps: the largest step count whose network evaluations per "
          "sample fit it (a guided step counts both)",
          between(0, 10000000).with_note("0: use steps"));
  if constexpr (V::reading) {
    if (s.name.empty())  // an adaptive sampler's steps are not its steps: no count in its name
      s.name = sampler_is_adaptive(s.sampler) ? s.sampler
               : s.nfe > 0                    ? s.sampler + "-nfe" + std::to_string(s.nfe)
                                              : s.sampler + "-" + std::to_string(s.steps);
    v.check(s.name.find('/') == std::string::npos && s.name != "." && s.name != "summary", "name",
            "must not contain '/' nor be '.' or 'summary'");
    v.check(s.name.size() <= 63, "name", "must be at most 63 bytes (the summary table's width)");
    if (!v.has("grid")) s.grid.kind = default_grid_kind(sampling_process(*v.context()));
  }
  v.field("grid", s.grid.kind, "time grid", one_of(time_grid_kinds()).or_auto("the process's own"));
  v.field("rho", s.grid.rho, "edm grid: rho", between(0, 1000, "(]"));
  v.field("shift", s.grid.shift, "flow grid: shift (1: none)", between(0, 1000, "(]"));
  v.field("final_step", s.final_step, "the step into sigma = 0", one_of(final_step_names()));
  v.field("precision", s.precision,
          "the sampler's state and updates in float32 or float64 (the network in float32)",
          one_of(precision_names()));
  v.field("noise", s.noise,
          "stochastic samplers: independent draws per step, or brownian_tree (one Brownian "
          "path per sample, the same at every step count)", one_of(noise_kind_names()));
  if constexpr (V::reading)
    v.check(s.noise == "independent" || sampler_takes_noise(s.sampler), "noise",
            "sampler '" + s.sampler + "' takes no brownian_tree noise (only " +
                [] {
                  std::string names;
                  for (const auto& n : sampler_names())
                    if (sampler_takes_noise(n)) names += (names.empty() ? "" : ", ") + n;
                  return names;
                }() + " do)");
  if constexpr (V::reading) s.options = sampler_defaults(s.sampler);
  v.options_section("options", s.options, "the sampler's options (sampler table below)");
  s.grid.steps = s.steps;
  fields(v, s.guidance);
  v.field("labels", s.labels, "class-conditional models: all (sample i has class i mod "
          "classes) or one class number", non_empty());
  if constexpr (V::reading) {
    const FamilySpec& family = find_family(v.context()->model.family);
    const int64_t classes = family.classes ? family.classes(v.context()->model.options) : 0;
    // The resolved config of an unconditional run holds the defaults, which read back.
    const SamplerVariant d;
    const bool given[] = {s.guidance.scale != d.guidance.scale, s.guidance.limited(), s.labels != d.labels};
    const char* keys[] = {"guidance", "guidance_interval", "labels"};
    for (int k = 0; k < 3; ++k)
      v.check(classes > 0 || !given[k], keys[k],
              "needs a class-conditional model (model.classes > 0); this one is unconditional");
    if (classes > 0 && s.labels != "all") {
      char* end = nullptr;
      const long c = std::strtol(s.labels.c_str(), &end, 10);
      v.check(*end == '\0' && c >= 0 && c < classes, "labels",
              "must be all or a class number in 0.." + std::to_string(classes - 1) + ", not '" +
                  s.labels + "'");
    }
  }
  if constexpr (V::reading) {
    const std::string warning = sampler_grid_warning(s.sampler, s.grid.kind);
    if (!warning.empty()) v.note("samplers: " + s.name + ": " + warning);
    if (s.nfe > 0) resolve_nfe_budget(v, s);
  }
}

template <class V>
void fields(V& v, OutputConfig& o) {
  v.field("path", o.path, "the run file; an existing one is refused (genlab run --overwrite)",
          Rule().or_auto("a new folder <folder>/<name>/<UTC date>_<time>/ with run.h5"));
  v.field("folder", o.folder, "where runs without a path go", non_empty());
}

bool valid_device(const std::string& text) {
  try {
    parse_device(text);
    return true;
  } catch (const std::invalid_argument&) {
    return false;
  }
}

template <class V>
void fields(V& v, ExperimentConfig& c) {
  v.field("name", c.name, "the experiment's name", non_empty());
  v.check(c.name.find('/') == std::string::npos, "name", "must not contain '/'");
  // The name is a folder under output.folder: "." and ".." would put runs beside or above it.
  v.check(c.name != "." && c.name != "..", "name", "must not be '.' or '..' (it names the runs' folder)");
  v.field("seed", c.seed, "fixes every random stream of the run");
  v.field("threads", c.threads, "OpenMP threads", between(0, 1024).with_note("0: auto, by the work of a step and the free cores"));
  v.field("device", c.device, "where tensors live and ops run: cpu, cuda or cuda:N (the GPU of that index)",
          non_empty());
  v.check(valid_device(c.device), "device", "expected cpu, cuda or cuda:N, got '" + c.device + "'");
  v.section("data", c.data, "the data");
  v.section("model", c.model, "the model");
  v.section("train", c.train, "training");
  if constexpr (V::reading)
    if (!find_family(c.model.family).trainable) c.train.steps = 0, c.train.epochs = 0;
  v.section("evaluate", c.evaluate, "evaluation");
  if constexpr (V::reading) v.yaml().expand_each("samplers", "sampler", {"steps", "nfe"});
  v.list("samplers", c.samplers, "sampler variants, each sampled from the same noise");
  v.section("output", c.output, "output");
  v.field("smoke", c.smoke,
          "overrides `genlab run --smoke` applies after genlab's own quick settings (the "
          "config's quick form; key=value like a command-line override)",
          Rule().with_note("empty: genlab's quick settings alone"));
}

namespace {

ExperimentConfig read(const YamlSource& src) {
  ExperimentConfig c;
  ConfigReader root(src.root(), &c);
  fields(root, c);
  root.finish();
  c.notes = src.notes();
  return c;
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

namespace {

// Every scalar of a YAML document by dotted path.
void flatten(const YAML::Node& n, const std::string& path, std::map<std::string, std::string>& out) {
  if (n.IsMap()) {
    for (const auto& kv : n)
      flatten(kv.second, path.empty() ? kv.first.Scalar() : path + "." + kv.first.Scalar(), out);
  } else if (n.IsSequence()) {
    bool scalars = true;
    for (const auto& item : n) scalars = scalars && item.IsScalar();
    if (scalars) {  // a list of numbers or names is one value
      YAML::Emitter e;
      e << YAML::Flow << n;
      out[path] = e.c_str();
      return;
    }
    for (size_t i = 0; i < n.size(); ++i) flatten(n[i], path + "[" + std::to_string(i) + "]", out);
  } else {
    out[path] = n.IsNull() ? "" : n.Scalar();
  }
}

}  // namespace

std::map<std::string, std::string> flatten_config(const std::string& yaml) {
  std::map<std::string, std::string> out;
  flatten(YAML::Load(yaml), "", out);
  return out;
}

std::vector<ConfigChange> config_changes(const std::string& stored_yaml,
                                         const std::string& given_yaml) {
  const auto a = flatten_config(stored_yaml), b = flatten_config(given_yaml);
  std::vector<ConfigChange> changes;
  for (const auto& [k, v] : a) {
    const auto it = b.find(k);
    if (it == b.end())
      changes.push_back({k, v, "(absent)"});
    else if (it->second != v)
      changes.push_back({k, v, it->second});
  }
  for (const auto& [k, v] : b)
    if (!a.count(k)) changes.push_back({k, "(absent)", v});
  return changes;
}

std::vector<std::string> variant_keys() {
  ConfigReference r;
  SamplerVariant v;
  fields(r, v);
  std::vector<std::string> keys;
  for (const auto& row : r.rows())
    if (row.key != "sampler" && row.key != "options") keys.push_back(row.key);
  return keys;
}

SamplerVariant parse_sampler_variant(const std::string& sampler,
                                     const std::vector<std::string>& key_values,
                                     const ExperimentConfig& run) {
  // Each key=value is the variant's own key or one of the sampler's options; the values
  // are typed as YAML scalars and read by the variant's and the sampler's fields().
  const std::vector<std::string> own = variant_keys();
  std::vector<std::string> options;
  if (std::find(sampler_names().begin(), sampler_names().end(), sampler) != sampler_names().end())
    for (const auto& k : option_keys(sampler_defaults(sampler))) options.push_back(k.key);
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
    if (std::find(own.begin(), own.end(), key) != own.end()) {
      node[key] = value;
    } else if (std::find(options.begin(), options.end(), key) != options.end()) {
      node["options"][key] = value;
    } else {  // a typo of either: say which, with the closest name
      std::vector<std::string> known = own;
      known.insert(known.end(), options.begin(), options.end());
      const std::string hint = did_you_mean(key, known);
      throw ConfigError("command line '" + kv + "': unknown setting '" + key + "'" +
                        (hint.empty() ? "" : " (did you mean '" + hint + "'?)") + "; a variant's settings: " +
                        joined_names(own) + "; sampler '" + sampler +
                        "' options: " + (options.empty() ? "none" : joined_names(options)));
    }
  }
  YamlSource variant_src = YamlSource::from_node(node, "command line");
  SamplerVariant v;
  ConfigReader r(variant_src.root(), &run);
  fields(r, v);
  r.finish();
  return v;
}

std::string to_yaml(const ExperimentConfig& c) {
  YAML::Emitter e;
  e.SetDoublePrecision(15);  // 1.003, not 1.0029999999999999
  ConfigWriter w(e);
  e << YAML::BeginMap;
  ExperimentConfig copy = c;
  fields(w, copy);
  e << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}

namespace {

std::string escape_cell(std::string s) {
  for (size_t i = 0; (i = s.find('|', i)) != std::string::npos; i += 2) s.replace(i, 1, "\\|");
  return s;
}

void table(std::ostringstream& out, const std::vector<ReferenceRow>& rows) {
  out << "| key | type | default | allowed | what it is |\n|---|---|---|---|---|\n";
  for (const auto& r : rows)
    out << "| `" << r.key << "` | " << r.type << " | `" << escape_cell(r.default_value) << "` | "
        << escape_cell(r.allowed) << " | " << escape_cell(r.doc) << " |\n";
  out << "\n";
}

// The keys of a family or data set, under `prefix`, with its one-line doc.
void options_table(std::ostringstream& out, const std::string& title, const std::string& doc,
                   const ChosenOptions& options, const std::string& prefix) {
  ConfigReference r(prefix);
  options.reference(r);
  out << "### " << title << "\n\n" << doc << ".\n\n";
  if (r.rows().empty())
    out << "No keys beside the one that names it.\n\n";
  else
    table(out, r.rows());
}

void sampler_table(std::ostringstream& out) {
  out << "### sampler options (`samplers[].options`)\n\n| sampler | default steps | options "
         "(defaults) | what it is |\n|---|---|---|---|\n";
  for (const auto& name : sampler_names()) {
    const std::string opts = describe_sampler_options(name, ": ", " \\| ");
    out << "| `" << name << "` | " << default_steps(name) << " | "
        << (opts.empty() ? "none" : opts) << " | " << escape_cell(sampler_doc(name)) << " |\n";
  }
  out << "\n### each sampler's option keys\n\n| sampler | key | type | default | allowed | what it is |\n"
         "|---|---|---|---|---|---|\n";
  for (const auto& name : sampler_names())
    for (const auto& k : option_keys(sampler_defaults(name)))
      out << "| `" << name << "` | `" << k.key << "` | " << k.type << " | `" << k.value << "` | "
          << escape_cell(k.allowed) << " | " << escape_cell(k.doc) << " |\n";
  out << "\n";
}

// The experiment's own keys, grouped by their first path component ("top level" for
// the root's scalars), in declaration order.
std::vector<std::pair<std::string, std::vector<ReferenceRow>>> general_sections() {
  ConfigReference general;
  ExperimentConfig defaults;
  fields(general, defaults);
  std::vector<std::pair<std::string, std::vector<ReferenceRow>>> sections;
  for (const auto& r : general.rows()) {
    const auto cut = r.key.find_first_of(".[");
    const std::string title = cut == std::string::npos ? "top level" : r.key.substr(0, cut);
    if (sections.empty() || sections.back().first != title) sections.push_back({title, {}});
    sections.back().second.push_back(r);
  }
  return sections;
}

bool wanted(const std::string& section, const std::string& title) {
  return section.empty() || title.rfind(section, 0) == 0 ||
         (section == "top" && title == "top level");
}

}  // namespace

std::string config_reference(const std::string& section) {
  std::ostringstream out;
  bool any = false;
  std::string names;
  for (const auto& [title, rows] : general_sections()) {
    names += (names.empty() ? "" : ", ") + title;
    if (!wanted(section, title)) continue;
    out << "### " << title << "\n\n";
    table(out, rows);
    any = true;
  }
  for (const auto& f : family_specs())
    if (wanted(section, "model (family: " + f.name + ")")) {
      options_table(out, "model (family: " + f.name + ")", f.doc, f.defaults, "model.");
      any = true;
    }
  for (const auto& d : dataset_specs())
    if (!d.defaults.empty() && wanted(section, "data (name: " + d.name + ")")) {
      options_table(out, "data (name: " + d.name + ")", d.doc, d.defaults, "data.");
      any = true;
    }
  if (wanted(section, "samplers")) {
    sampler_table(out);
    any = true;
  }
  if (!any)
    throw ConfigError("config --reference: no section '" + section + "' (sections: " + names +
                      ", \"model (family: NAME)\", \"data (name: NAME)\")");
  return out.str();
}

}  // namespace genlab
