#include "genlab/experiments/checkpoint.h"

#include <cstdio>
#include <cstring>
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
  return runner_state_of(family, where);
}

RunnerState runner_state_of(const TrainingState& loaded, const std::string& where) {
  const auto& a = loaded.attrs;
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

namespace {

void put(std::string& out, const void* p, size_t n) { out.append(static_cast<const char*>(p), n); }
void put_u64(std::string& out, uint64_t v) { put(out, &v, sizeof v); }
void put_text(std::string& out, const std::string& s) {
  put_u64(out, s.size());
  out += s;
}

struct Reader {
  const std::string& bytes;
  size_t at = 0;
  void get(void* p, size_t n) {
    if (at + n > bytes.size()) throw std::runtime_error("a truncated training state message");
    std::memcpy(p, bytes.data() + at, n);
    at += n;
  }
  uint64_t u64() {
    uint64_t v = 0;
    get(&v, sizeof v);
    return v;
  }
  std::string text() {
    const uint64_t n = u64();
    std::string s(static_cast<size_t>(n), '\0');
    get(s.data(), s.size());
    return s;
  }
};

}  // namespace

std::string pack_training_state(const TrainingState& state) {
  std::string out;
  put_u64(out, state.attrs.size());
  for (const auto& [k, v] : state.attrs) put_text(out, k), put_text(out, v);
  put_u64(out, state.tensors.size());
  for (const auto& [group, tensors] : state.tensors) {
    put_text(out, group);
    put_u64(out, tensors.size());
    for (const auto& [name, t] : tensors) {
      put_text(out, name);
      put_u64(out, t.is_index() ? 1 : 0);
      put_u64(out, t.shape().size());
      for (const int64_t d : t.shape()) put_u64(out, static_cast<uint64_t>(d));
      const Tensor host = t.to(Device::cpu);
      put(out, host.raw_data(), 4 * static_cast<size_t>(host.numel()));
    }
  }
  return out;
}

uint64_t hash_training_state(const TrainingState& state) {
  // The packed message holds every bit of the state in a fixed (sorted) order.
  const std::string bytes = pack_training_state(state);
  uint64_t h = 0xcbf29ce484222325ull;
  for (const unsigned char c : bytes) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

TrainingState unpack_training_state(const std::string& bytes) {
  Reader in{bytes};
  TrainingState s;
  for (uint64_t n = in.u64(); n > 0; --n) {
    std::string k = in.text();
    s.attrs[k] = in.text();
  }
  for (uint64_t groups = in.u64(); groups > 0; --groups) {
    auto& tensors = s.tensors[in.text()];
    for (uint64_t n = in.u64(); n > 0; --n) {
      const std::string name = in.text();
      const bool index = in.u64() == 1;
      Shape shape(static_cast<size_t>(in.u64()));
      for (auto& d : shape) d = static_cast<int64_t>(in.u64());
      Tensor t = index ? Tensor::empty_indices(shape) : Tensor::empty(shape);
      in.get(t.raw_data(), 4 * static_cast<size_t>(t.numel()));
      tensors[name] = t;
    }
  }
  return s;
}

}  // namespace genlab
