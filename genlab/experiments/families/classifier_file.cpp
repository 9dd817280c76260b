#include "genlab/experiments/families/classifier_file.h"

#include <cmath>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "genlab/experiments/run/run_file.h"

namespace genlab {
namespace {

constexpr const char* kClassifierKind = "genlab image classifier";

std::string join(const std::vector<int64_t>& v) {
  std::string s;
  for (const int64_t x : v) {
    if (!s.empty()) s += ',';
    s += std::to_string(x);
  }
  return s;
}

std::vector<int64_t> split_ints(const std::string& path, const std::string& key,
                                const std::string& text) {
  std::vector<int64_t> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ','))
    try {
      out.push_back(std::stoll(item));
    } catch (const std::exception&) {
      throw std::runtime_error(path + ": attribute '" + key + "' is not a list of integers: '" + text + "'");
    }
  return out;
}

}  // namespace

std::string default_image_classifier_path() {
  return std::string(GENLAB_CLASSIFIER_DIR) + "/fmnist_classifier.h5";
}

void save_image_classifier(const std::string& path, const ImageClassifier& net,
                           double test_accuracy, const std::string& config_yaml) {
  const auto& o = net.options();
  std::ostringstream acc;
  acc.precision(6);
  acc << test_accuracy;
  RunFile f = RunFile::create(path,
                              {{"kind", kClassifierKind},
                               {"image", join(o.image)},
                               {"channels", join(o.channels)},
                               {"features", std::to_string(o.features)},
                               {"classes", std::to_string(o.classes)},
                               {"test_accuracy", acc.str()}},
                              config_yaml);
  f.write_tensors("weights", net.state_dict());
  f.set_status("completed");
}

std::unique_ptr<ImageClassifier> load_image_classifier(const std::string& path) {
  if (!std::filesystem::exists(path))
    throw std::runtime_error(path + ": no such classifier file (train one with "
                             "configs/fmnist_classifier.yaml, or set evaluate.classifier: none)");
  const RunFile f = RunFile::open(path);
  const auto attrs = f.attrs();
  auto need = [&](const std::string& key) -> const std::string& {
    const auto it = attrs.find(key);
    if (it == attrs.end())
      throw std::runtime_error(path + ": not an image classifier file (no attribute '" + key + "')");
    return it->second;
  };
  if (need("kind") != kClassifierKind)
    throw std::runtime_error(path + ": kind '" + need("kind") + "' is not '" + kClassifierKind + "'");
  ImageClassifierOptions o;
  o.image = split_ints(path, "image", need("image"));
  o.channels = split_ints(path, "channels", need("channels"));
  auto count = [&](const std::string& key) {
    const auto v = split_ints(path, key, need(key));
    if (v.size() != 1 || v[0] < 1) throw std::runtime_error(path + ": attribute '" + key + "' is not a positive integer");
    return v[0];
  };
  o.features = count("features");
  o.classes = count("classes");
  if (o.image.size() != 3) throw std::runtime_error(path + ": attribute 'image' is not channels,height,width");
  Generator init(0);
  auto net = std::make_unique<ImageClassifier>(o, init);
  const auto weights = f.read_tensors("weights");
  for (const auto& [name, t] : weights)
    for (const float v : t.to_vector())
      if (!std::isfinite(v)) throw std::runtime_error(path + ": /weights/" + name + " holds a non-finite value");
  try {
    net->load_state_dict(weights);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": its /weights do not fit the classifier its attributes describe (" +
                             e.what() + ")");
  }
  return net;
}

}  // namespace genlab
