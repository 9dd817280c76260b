#include "genlab/experiments/checkpoint.h"

#include <cstdio>
#include <stdexcept>

namespace genlab {
namespace {

// Doubles as hexadecimal floats, so a resumed run continues from the same bits.
std::string exact(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a", v);
  return buf;
}

const std::string& get(const std::map<std::string, std::string>& a, const std::string& k,
                       const std::string& where) {
  const auto it = a.find(k);
  if (it == a.end()) throw std::runtime_error(where + ": attribute '" + k + "' is missing");
  return it->second;
}

}  // namespace

void save_checkpoint(RunFile& file, const RunnerState& r, const TrainingState& family) {
  const auto latest = file.group_attrs("checkpoint");
  const std::string slot = latest.count("latest") && latest.at("latest") == "0" ? "1" : "0";
  const std::string g = "checkpoint/" + slot;
  for (const auto& [name, tensors] : family.tensors) file.write_tensors(g + "/" + name, tensors);
  auto attrs = family.attrs;
  attrs["step"] = std::to_string(r.step);
  attrs["data_key"] = std::to_string(r.data.key);
  attrs["data_counter"] = std::to_string(r.data.counter);
  attrs["noise_key"] = std::to_string(r.noise.key);
  attrs["noise_counter"] = std::to_string(r.noise.counter);
  attrs["wall_s"] = exact(r.wall_s);
  attrs["window_loss"] = exact(r.window_loss);
  attrs["window_grad"] = exact(r.window_grad);
  attrs["window"] = std::to_string(r.window);
  file.set_group_attrs(g, attrs);
  file.set_group_attrs("checkpoint", {{"latest", slot}, {"step", std::to_string(r.step)}});
}

bool has_checkpoint(const RunFile& file) {
  return file.group_attrs("checkpoint").count("latest") > 0;
}

RunnerState load_checkpoint(const RunFile& file, TrainingState& family) {
  const std::string g = "checkpoint/" + file.group_attrs("checkpoint").at("latest");
  const std::string where = file.path() + ": /" + g;
  const auto a = file.group_attrs(g);
  for (auto& [name, tensors] : family.tensors) tensors = file.read_tensors(g + "/" + name);
  family.attrs = a;
  RunnerState r;
  try {
    r.step = std::stoll(get(a, "step", where));
    r.data = {std::stoull(get(a, "data_key", where)), std::stoull(get(a, "data_counter", where))};
    r.noise = {std::stoull(get(a, "noise_key", where)), std::stoull(get(a, "noise_counter", where))};
    r.wall_s = std::strtod(get(a, "wall_s", where).c_str(), nullptr);
    if (a.count("window")) {  // checkpoints before epochs were taken at window boundaries
      r.window_loss = std::strtod(a.at("window_loss").c_str(), nullptr);
      r.window_grad = std::strtod(a.at("window_grad").c_str(), nullptr);
      r.window = std::stoll(a.at("window"));
    }
  } catch (const std::logic_error& e) {
    throw std::runtime_error(where + ": a damaged checkpoint (" + e.what() + ")");
  }
  return r;
}

}  // namespace genlab
