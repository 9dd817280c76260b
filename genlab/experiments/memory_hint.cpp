#include "genlab/experiments/memory_hint.h"

#include <algorithm>
#include <cstdlib>
#include <map>

namespace genlab {

std::string memory_hint(const ExperimentConfig& c, const std::vector<int64_t>& shape, int64_t data_dims) {
  // Keys whose value says how much (not which: seeds, counts of steps, intervals).
  auto sizes_memory = [](const std::string& key) {
    for (const char* skip : {"seed", "steps", "every", "threads", "epochs", "warmup", "classes",
                             "validation", "test_limit", "heads", "groups"})
      if (key.find(skip) != std::string::npos) return false;
    return key.rfind("model.", 0) == 0 || key.rfind("train.", 0) == 0 ||
           key.rfind("evaluate.", 0) == 0 || key.rfind("data.", 0) == 0;
  };
  const auto flat = flatten_config(to_yaml(c));
  std::vector<std::string> found;
  auto add = [&](const std::string& what) {
    if (std::find(found.begin(), found.end(), what) == found.end()) found.push_back(what);
  };
  // The largest dimensions first: they are what made the tensor too big.
  std::vector<int64_t> dims(shape.begin(), shape.end());
  std::sort(dims.rbegin(), dims.rend());
  for (const int64_t d : dims) {
    if (d < 64) break;  // small dimensions match too many keys to mean anything
    for (const auto& [key, text] : flat) {
      if (!sizes_memory(key)) continue;
      // A scalar, or an element of a list ([500, 500]).
      std::string digits;
      for (const char ch : text + ",") {
        if (ch >= '0' && ch <= '9') {
          digits += ch;
        } else {
          if (!digits.empty() && digits.size() < 19 && std::atoll(digits.c_str()) == d)
            add(key + " (" + std::to_string(d) + ")");
          digits.clear();
        }
      }
    }
    if (d == data_dims) add("the data (" + std::to_string(d) + " values per example)");
  }
  if (found.empty())
    return "; a size in the config (train.batch_size, model.net.width, model.hidden, "
           "model.latent_dim, evaluate.samples, evaluate.likelihood_samples, model.iwae_k, ...) "
           "needs more memory than this machine has";
  std::string s = "; sized by ";
  for (size_t i = 0; i < found.size() && i < 3; ++i)
    s += (i == 0 ? "" : i + 1 == std::min<size_t>(found.size(), 3) ? " and " : ", ") + found[i];
  return s + ": lower it";
}

}  // namespace genlab
