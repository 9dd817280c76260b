// What a new user meets first: the quick form of a config (smoke_overrides), progress lines
// as a person reads them, an override's error pointing at the command line, train.steps
// over an epoch count, a section holding only its kind's keys, data-file errors and the
// out-of-memory error naming the key that sized the tensor.
#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include "genlab/experiments/experiment_config.h"
#include "genlab/experiments/config/yaml_section.h"
#include "genlab/experiments/data/image_data.h"
#include "genlab/experiments/memory_hint.h"
#include "genlab/experiments/run/progress.h"
#include "genlab/experiments/run/run_file.h"
#include "genlab/experiments/cli/smoke.h"

using namespace genlab;
using Catch::Matchers::Contains;

namespace {

const char* kToy = R"(name: toy
data: {name: moons}
model: {family: diffusion, net: {width: 64}}
train: {steps: 5000, batch_size: 256, warmup_steps: 50, schedule: linear_warmup}
evaluate: {samples: 4000, likelihood: true}
samplers: [{sampler: heun}]
)";

const char* kImages = R"(name: images
data: {name: fashion_mnist, binarize: static}
model: {family: vae, iwae_k: 1000, iwae_examples: 0}
train: {epochs: 10, batch_size: 128, eval_every_epochs: 1, checkpoint_every_epochs: 1}
smoke: [model.latent_dim=4]
)";

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST_CASE("quick forms (--smoke): genlab's quick settings, then the data set's and family's, then the config's own",
          "[config][smoke]") {
  const auto toy = smoke_overrides(parse_experiment_config(kToy, "toy.yaml"));
  CHECK(toy.front() == "name=toy_smoke");
  CHECK(has(toy, "train.steps=30"));
  CHECK(has(toy, "train.eval_every=15"));       // an evaluation before the end
  CHECK(has(toy, "train.checkpoint_every=15"));  // and a checkpoint
  CHECK(has(toy, "train.batch_size=32"));
  CHECK(has(toy, "train.warmup_steps=5"));
  CHECK(has(toy, "evaluate.samples=200"));
  CHECK(has(toy, "evaluate.likelihood_samples=8"));
  // The quick form reads back as a config that keeps every phase.
  const auto quick = parse_experiment_config(kToy, "toy.yaml", toy);
  CHECK(quick.train.steps == 30);
  CHECK(quick.evaluate.likelihood);
  CHECK(quick.samplers.size() == 1);

  const auto images = smoke_overrides(parse_experiment_config(kImages, "images.yaml"));
  CHECK(has(images, "evaluate.samples=64"));        // images cost a pass each
  CHECK(has(images, "data.test_limit=500"));        // the data set's hook (0 meant all)
  CHECK(has(images, "data.validation=500"));
  CHECK(has(images, "model.iwae_k=20"));            // the family's hook
  CHECK(has(images, "model.iwae_examples=50"));
  CHECK(images.back() == "model.latent_dim=4");     // the config's own list, last
  // Steps from the command line replace the file's epochs, with a note for each.
  const auto c = parse_experiment_config(kImages, "images.yaml", images);
  CHECK(c.train.steps == 30);
  CHECK(c.train.epochs == 0);
  CHECK(c.train.eval_every == 15);
  REQUIRE(c.notes.size() == 3);
  CHECK_THAT(c.notes[0], Contains("train.steps=30 from the command line replaces the config's train.epochs: 10"));
  CHECK(c.data.options.as<ImageDataOptions>().test_limit == 500);
}

TEST_CASE("train.steps and train.epochs: one from the command line wins, both in the file is an error",
          "[config]") {
  CHECK_THROWS_WITH(parse_experiment_config("data: {name: fashion_mnist}\nmodel: {family: vae}\n"
                                            "train: {epochs: 2, steps: 40}\n", "both.yaml"),
                    Contains("give steps or epochs, not both"));
  const auto epochs_win = parse_experiment_config(
      "data: {name: fashion_mnist}\nmodel: {family: vae}\ntrain: {steps: 40}\n", "e.yaml", {"train.epochs=3"});
  CHECK(epochs_win.train.epochs == 3);
  CHECK(epochs_win.train.steps == 0);
  CHECK(epochs_win.notes.size() == 1);
}

TEST_CASE("an error caused by an override says which override, even at another key", "[config]") {
  // data.name makes the file's (valid) model section wrong: the error is at model.family,
  // and says what the command line changed.
  CHECK_THROWS_WITH(parse_experiment_config(kToy, "toy.yaml", {"data.name=fashion_mnist"}),
                    Contains("toy.yaml:3:") && Contains("model.family") &&
                        Contains("(command line: data.name=fashion_mnist)"));
  // An error at the overridden key itself names the override.
  CHECK_THROWS_WITH(parse_experiment_config(kToy, "toy.yaml", {"train.steps=-1"}),
                    Contains("override 'train.steps=-1'"));
}

TEST_CASE("a net section holds the keys of its kind: the resolved config shows only those", "[config]") {
  const std::string mlp = to_yaml(parse_experiment_config(kToy, "toy.yaml"));
  CHECK_THAT(mlp, Contains("width: 64"));
  CHECK_THAT(mlp, !Contains("channel_mult"));
  const std::string unet = to_yaml(parse_experiment_config(
      "data: {name: fashion_mnist, binarize: none}\nmodel: {net: {kind: unet}}\n", "u.yaml"));
  CHECK_THAT(unet, Contains("channel_mult"));
  CHECK_THAT(unet, !Contains("width:"));
  // Another kind's key: refused with what to do, unless at its default (older run files
  // stored every kind's keys, and must still read).
  CHECK_THROWS_WITH(parse_experiment_config(kToy, "toy.yaml", {"model.net.channels=64"}),
                    Contains("a key of kind unet; model.net.kind is mlp"));
  CHECK_NOTHROW(parse_experiment_config(kToy, "toy.yaml", {"model.net.channels=32"}));
  // The reference still documents both kinds.
  CHECK_THAT(config_reference("model"), Contains("model.net.width") && Contains("model.net.channel_mult"));
}

TEST_CASE("progress lines: rates a person reads, durations, and lines only once a phase is slow",
          "[progress]") {
  CHECK(format_rate(312.4, "step") == "312 steps/s");
  CHECK(format_rate(0.31, "step") == "3.23 s/step");  // slow steps: seconds per step
  CHECK(format_rate(0.05, "NFE") == "20.0 s/NFE");
  CHECK(format_rate(4.5, "NFE") == "4.50 NFE/s");
  CHECK(format_duration(4.26) == "4.3 s");
  CHECK(format_duration(200) == "3 min 20 s");
  CHECK(format_duration(7300) == "2 h 02 min");
  std::ostringstream out;
  Progress quiet(out, "fast", 10, "image");
  quiet.every(5, 100);  // the first line only after 100 s: a fast phase prints nothing
  quiet.update(10);
  quiet.finish("done");
  CHECK(out.str().empty());
  Progress loud(out, "slow", 10, "image");
  loud.every(0, 0);
  loud.update(4);
  loud.finish("10 images in 1 s");
  CHECK_THAT(out.str(), Contains("slow: 4/10 images (40%)") && Contains("ETA") &&
                            Contains("slow: 10 images in 1 s\n"));
}

TEST_CASE("out of memory: the config key whose value sized the tensor", "[config]") {
  const auto c = parse_experiment_config(kToy, "toy.yaml", {"model.net.width=4096"});
  CHECK_THAT(memory_hint(c, {4096, 4096}, 2), Contains("sized by model.net.width (4096)"));
  CHECK_THAT(memory_hint(c, {256, 4096}, 2),
             Contains("model.net.width (4096)") && Contains("train.batch_size (256)"));
  CHECK_THAT(memory_hint(c, {4000, 784}, 784), Contains("evaluate.samples (4000)") && Contains("the data (784"));
  CHECK_THAT(memory_hint(c, {3, 5}, 2), Contains("a size in the config"));
}

TEST_CASE("a missing data file is called a data file", "[config]") {
  CHECK_THROWS_WITH(read_hdf5_array("/nonexistent/images.h5", "images"),
                    Contains("/nonexistent/images.h5: no such data file"));
  CHECK_THROWS_WITH(RunFile::open("/nonexistent/run.h5").attrs(), Contains("no such run file"));
}
