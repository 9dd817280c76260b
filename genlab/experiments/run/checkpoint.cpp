#include "genlab/experiments/run/checkpoint.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <type_traits>

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

// A counter attribute of a checkpoint as a number, or an error naming it.
template <class T>
T counter(const std::map<std::string, std::string>& a, const std::string& k, const std::string& where, T lo) {
  const std::string& text = get(a, k, where);
  errno = 0;
  char* end = nullptr;
  const long long v = std::is_signed_v<T> ? std::strtoll(text.c_str(), &end, 10)
                                          : static_cast<long long>(std::strtoull(text.c_str(), &end, 10));
  if (text.empty() || *end != '\0' || errno == ERANGE || text[0] == '-' || (std::is_signed_v<T> && v < static_cast<long long>(lo)))
    throw std::runtime_error(where + ": attribute '" + k + "' is '" + text +
                             "', not a count; the checkpoint is damaged and cannot be resumed");
  return std::is_signed_v<T> ? static_cast<T>(v) : static_cast<T>(std::strtoull(text.c_str(), nullptr, 10));
}

}  // namespace

namespace {

void save_checkpoint_parts(RunFile& file, const RunnerState& r, const TrainingState& family) {
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
  attrs["checksum"] = checkpoint_checksum(family.tensors, attrs);
  file.set_group_attrs(g, attrs);
  file.set_group_attrs("checkpoint", {{"latest", slot}, {"step", std::to_string(r.step)}});
}

}  // namespace

// FNV-1a over its attributes (sorted; the checksum itself
// left out) and every tensor's float32 values as the run file stores them, group by group
// in name order. Written with the checkpoint, recomputed when it is loaded: a bit flipped
// on disk, or an edited value, is found instead of resumed.
std::string checkpoint_checksum(const std::map<std::string, std::map<std::string, Tensor>>& tensors,
                                const std::map<std::string, std::string>& attrs) {
  uint64_t h = 0xcbf29ce484222325ull;
  auto mix = [&h](const void* p, size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 0x100000001b3ull;
  };
  for (const auto& [k, v] : attrs) {
    if (k == "checksum") continue;
    mix(k.data(), k.size() + 1), mix(v.data(), v.size() + 1);
  }
  for (const auto& [group, ts] : tensors)
    for (const auto& [name, t] : ts) {
      mix(group.data(), group.size() + 1), mix(name.data(), name.size() + 1);
      const auto v = t.to_vector();
      mix(v.data(), v.size() * sizeof(float));
    }
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

void save_checkpoint(RunFile& file, const RunnerState& r, const TrainingState& family) {
  int64_t bytes = 0;
  for (const auto& [name, tensors] : family.tensors)
    for (const auto& [k, t] : tensors) bytes += 4 * t.numel();
  // One write: the run file changes from the last checkpoint to this one, or not at all.
  file.batch([&] { save_checkpoint_parts(file, r, family); }, bytes);
}

bool has_checkpoint(const RunFile& file) {
  return file.group_attrs("checkpoint").count("latest") > 0;
}

RunnerState load_checkpoint(const RunFile& file, TrainingState& family) {
  const auto top = file.group_attrs("checkpoint");
  const std::string slot = top.at("latest");
  if (slot != "0" && slot != "1")
    throw std::runtime_error(file.path() + ": /checkpoint:latest is '" + slot + "', not a slot (0 or 1); the "
                             "checkpoint is damaged and cannot be resumed");
  const std::string g = "checkpoint/" + slot;
  const std::string where = file.path() + ": /" + g;
  const auto a = file.group_attrs(g);
  for (auto& [name, tensors] : family.tensors) tensors = file.read_tensors(g + "/" + name);
  family.attrs = a;
  if (a.count("checksum") && a.at("checksum") != checkpoint_checksum(family.tensors, a))
    throw std::runtime_error(where + ": its checksum does not match its contents (a value changed on disk since "
                             "it was written); it cannot be resumed bitwise. Start the run again, or, knowing "
                             "the difference, remove the attribute 'checksum' of /" + g + " to resume anyway");
  RunnerState r = runner_state_of(family, where);
  if (top.count("step") && top.at("step") != std::to_string(r.step))
    throw std::runtime_error(where + ": its step " + std::to_string(r.step) + " is not /checkpoint:step " +
                             top.at("step") + "; the checkpoint is damaged and cannot be resumed");
  return r;
}

RunnerState runner_state_of(const TrainingState& loaded, const std::string& where) {
  const auto& a = loaded.attrs;
  RunnerState r;
  r.step = counter<int64_t>(a, "step", where, 0);
  r.data = {counter<uint64_t>(a, "data_key", where, 0), counter<uint64_t>(a, "data_counter", where, 0)};
  r.noise = {counter<uint64_t>(a, "noise_key", where, 0), counter<uint64_t>(a, "noise_counter", where, 0)};
  auto real = [&](const std::string& k) {
    const std::string& text = get(a, k, where);
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0' || !std::isfinite(v))
      throw std::runtime_error(where + ": attribute '" + k + "' is '" + text +
                               "', not a number; the checkpoint is damaged and cannot be resumed");
    return v;
  };
  r.wall_s = real("wall_s");
  if (a.count("window")) {  // checkpoints before epochs were taken at window boundaries
    r.window_loss = real("window_loss");
    r.window_grad = real("window_grad");
    r.window = counter<int64_t>(a, "window", where, 0);
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
