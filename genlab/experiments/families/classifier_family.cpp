#include "genlab/experiments/families/classifier_family.h"

#include <filesystem>
#include <sstream>

#include "genlab/core/autograd.h"
#include "genlab/core/batched_eval.h"
#include "genlab/core/ops.h"
#include "genlab/core/optim/optimizer.h"
#include "genlab/experiments/families/classifier_file.h"
#include "genlab/experiments/families/family.h"
#include "genlab/experiments/families/registry.h"
#include "genlab/experiments/run/run_file.h"

namespace genlab {
namespace {

class ClassifierFamily final : public Family {
 public:
  ClassifierFamily(const FamilyContext& c, const ImageClassifierOptions& o)
      : config_yaml_(c.config_yaml) {
    comm_ = &c.communicator();
    Generator init = c.stream("init");
    net_ = std::make_unique<ImageClassifier>(o, init);
    step_ = std::make_unique<TrainStep>(c.train_step(net_->named_parameters()));
  }
  int64_t parameter_count() const override { return net_->num_parameters(); }
  std::string describe() const override {
    return "image classifier (" + std::to_string(net_->num_parameters()) + " parameters)";
  }
  Step train_step(const Batch& b, Generator&, float lr) override {
    const auto r = step_->run(net_->loss(b.x, b.labels), sharded_step(*comm_, b), lr);
    return {static_cast<double>(static_cast<float>(r.loss)), r.grad_norm};
  }
  NamedTensorMap weights() const override { return net_->state_dict(); }
  void load_sampling_weights(const NamedTensorMap& w) override { net_->load_state_dict(w); }
  TrainingState save() const override {
    TrainingState s{{{"params", net_->state_dict()}}, {}};
    save_optimizer(step_->optimizer(), s);
    return s;
  }
  void load(const TrainingState& s) override {
    net_->load_state_dict(state_group(s, "params"));
    load_optimizer(step_->optimizer(), s);
  }
  std::map<std::string, double> evaluate(const Dataset& data) override {
    const Tensor v = data.validation();
    if (!v.defined() || v.size(0) == 0) return {};
    return {{"validation_accuracy", accuracy(v, data.validation_labels())}};
  }
  void finish(RunFile& file, const Dataset& data, std::ostream& out) override {
    const Tensor t = data.test();
    double acc = 0;
    if (t.defined() && t.size(0) > 0) {
      acc = accuracy(t, data.test_labels());
      file.append("test", {{"accuracy", acc}, {"examples", double(t.size(0))}});
      out << "test accuracy: " << acc << " over " << t.size(0) << " images\n";
    }
    const std::string path =
        (std::filesystem::path(file.path()).parent_path() / "classifier.h5").string();
    save_image_classifier(path, *net_, acc, config_yaml_);
    out << "classifier (the image metrics' features): " << path << "\n";
  }

 private:
  const Communicator* comm_ = &single_process();  // data parallelism (issue 16)
  double accuracy(const Tensor& x, const Tensor& labels) const {
    const auto all = labels.to_index_vector();
    const double hits = sum_over_batches(x.size(0), 1000, [&](int64_t begin, int64_t end) {
      const auto p = net_->predict(slice(x, 0, begin, end)).to_index_vector();
      int64_t hit = 0;
      for (size_t k = 0; k < p.size(); ++k) hit += p[k] == all[static_cast<size_t>(begin) + k];
      return static_cast<double>(hit);
    });
    return hits / static_cast<double>(x.size(0));
  }

  std::string config_yaml_;
  std::unique_ptr<ImageClassifier> net_;
  std::unique_ptr<TrainStep> step_;
};

}  // namespace

FamilySpec classifier_family_spec() {
  return {"classifier",
          "a small CNN on labeled gray-level images: the feature extractor of the image metrics",
          ChosenOptions::of(ImageClassifierOptions{}), nullptr,
          [](const FamilyContext& c) -> std::unique_ptr<Family> {
            ImageClassifierOptions o = c.options<ImageClassifierOptions>();
            if (c.data.num_classes() < 2)
              throw ConfigError("model.family classifier: data '" + c.data_config.name +
                                "' has no labels (or one class)");
            o.image = {c.data.channels(), c.data.height(), c.data.width()};
            o.classes = c.data.num_classes();
            const int64_t halvings = int64_t{1} << o.channels.size();
            if (o.image[1] % halvings || o.image[2] % halvings)
              throw ConfigError("model.channels: " + std::to_string(o.channels.size()) +
                                " levels cannot halve " + std::to_string(o.image[1]) + "x" +
                                std::to_string(o.image[2]) + " images each time; use fewer");
            return std::make_unique<ClassifierFamily>(c, o);
          }};
}

}  // namespace genlab
