#include "experiments/config/yaml_section.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

namespace genlab {
namespace {

template <class T>
const char* type_name() {
  if constexpr (std::is_same_v<T, bool>) return "a boolean (true or false)";
  if constexpr (std::is_integral_v<T>) return "an integer";
  if constexpr (std::is_floating_point_v<T>) return "a number";
  return "a string";
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] =
          std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    prev.swap(cur);
  }
  return prev[b.size()];
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

}  // namespace

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    const size_t d = edit_distance(word, c);
    if (d < best_d) best_d = d, best = c;
  }
  return best;
}

YamlSource YamlSource::load(const std::string& path, const std::vector<std::string>& overrides) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path + ": cannot open the config file");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path, overrides);
}

YamlSource YamlSource::parse(const std::string& text, const std::string& name,
                             const std::vector<std::string>& overrides) {
  YamlSource src;
  src.file_ = name;
  try {
    src.root_ = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(name + ":" + std::to_string(e.mark.line + 1) + ":" +
                      std::to_string(e.mark.column + 1) + ": YAML syntax error: " + e.msg);
  }
  if (src.root_.IsNull()) src.root_ = YAML::Node(YAML::NodeType::Map);
  if (!src.root_.IsMap()) throw ConfigError(name + ": the config must be a mapping of sections");
  for (const auto& text_override : overrides) {
    const auto eq = text_override.find('=');
    if (eq == std::string::npos || eq == 0)
      throw ConfigError("override '" + text_override + "': expected key.path=value");
    const std::string path = text_override.substr(0, eq), value = text_override.substr(eq + 1);
    YAML::Node parsed;
    try {
      parsed = YAML::Load(value);
    } catch (const YAML::ParserException& e) {
      throw ConfigError("override '" + text_override + "': the value is not valid YAML: " + e.msg);
    }
    // Walk (creating mappings) to the parent of the last key; a number indexes a list
    // (samplers.0.steps=32).
    std::vector<std::string> keys;
    std::stringstream ps(path);
    for (std::string k; std::getline(ps, k, '.');) keys.push_back(k);
    auto is_index = [](const std::string& k) {
      return !k.empty() && k.find_first_not_of("0123456789") == std::string::npos;
    };
    std::string canonical;  // the path as errors spell it: samplers[0].steps
    // (yaml-cpp's Node::operator= writes into the node; reset() rebinds the handle.)
    YAML::Node node;
    node.reset(src.root_);
    for (size_t i = 0; i < keys.size(); ++i) {
      const std::string& k = keys[i];
      if (k.empty()) throw ConfigError("override '" + text_override + "': empty key in the path");
      const bool last = i + 1 == keys.size();
      if (node.IsSequence()) {
        if (!is_index(k) || std::stoul(k) >= node.size())
          throw ConfigError("override '" + text_override + "': " + canonical + " is a list of " +
                            std::to_string(node.size()) + "; '" + k + "' is not an index into it");
        canonical += "[" + k + "]";
        if (last) {
          node[std::stoul(k)] = parsed;
          break;
        }
        YAML::Node next = node[std::stoul(k)];
        node.reset(next);
        continue;
      }
      if (!node.IsMap())
        throw ConfigError("override '" + text_override + "': " + canonical + " is not a section");
      canonical += (canonical.empty() ? "" : ".") + k;
      if (last) {
        node[k] = parsed;
        break;
      }
      YAML::Node next = node[k];
      if (!next.IsDefined() || next.IsNull()) {
        node[k] = YAML::Node(YAML::NodeType::Map);
        next.reset(node[k]);
      }
      node.reset(next);
    }
    src.overrides_[canonical] = text_override;
  }
  return src;
}

Section YamlSource::root() const {
  return Section(this, root_, "");
}

std::string YamlSource::where(const YAML::Node& node, const std::string& path) const {
  // An override sets this path or one of its parents.
  for (const auto& [p, text] : overrides_)
    if (path == p || path.rfind(p + ".", 0) == 0 || path.rfind(p + "[", 0) == 0)
      return "override '" + text + "': " + path;
  const YAML::Mark m = node.Mark();
  if (m.is_null()) return file_ + ": " + path;
  return file_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1) + ": " +
         path;
}

Section::Section(const YamlSource* src, YAML::Node node, std::string path)
    : src_(src), node_(node), path_(std::move(path)) {}

YAML::Node Section::child(const std::string& key) const {
  if (!node_.IsDefined() || node_.IsNull()) return YAML::Node();
  return node_[key];
}

bool Section::has(const std::string& key) const {
  const YAML::Node c = child(key);
  return c.IsDefined() && !c.IsNull();
}

void Section::fail(const std::string& key, const std::string& message) const {
  const YAML::Node c = child(key);
  throw ConfigError(src_->where(c.IsDefined() ? c : node_, path_of(key)) + ": " + message);
}

void Section::check(bool ok, const std::string& key, const std::string& what) const {
  if (!ok) fail(key, what);
}

template <class T>
T Section::get(const std::string& key, const T& fallback) {
  read_.push_back(key);
  if (!has(key)) return fallback;
  const YAML::Node c = child(key);
  if (!c.IsScalar())
    fail(key, std::string("expected ") + type_name<T>() + ", got a " +
                  (c.IsMap() ? "mapping" : "sequence"));
  try {
    if constexpr (std::is_same_v<T, std::string>) return c.Scalar();
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      // yaml-cpp would accept 2.5 for an integer by truncation; refuse it.
      const std::string s = c.Scalar();
      if (s.find_first_of(".eE") != std::string::npos && s.find("0x") == std::string::npos)
        fail(key, std::string("expected an integer, got '") + s + "'");
    }
    return c.as<T>();
  } catch (const YAML::BadConversion&) {
    fail(key, std::string("expected ") + type_name<T>() + ", got '" + c.Scalar() + "'");
  }
}

template <class T>
T Section::require(const std::string& key) {
  if (!has(key)) fail(key, "missing required key");
  return get<T>(key, T{});
}

template bool Section::get<bool>(const std::string&, const bool&);
template int Section::get<int>(const std::string&, const int&);
template int64_t Section::get<int64_t>(const std::string&, const int64_t&);
template uint64_t Section::get<uint64_t>(const std::string&, const uint64_t&);
template double Section::get<double>(const std::string&, const double&);
template float Section::get<float>(const std::string&, const float&);
template std::string Section::get<std::string>(const std::string&, const std::string&);
template std::string Section::require<std::string>(const std::string&);
template int64_t Section::require<int64_t>(const std::string&);

std::string Section::choice(const std::string& key, const std::string& fallback,
                            const std::vector<std::string>& allowed) {
  const std::string v = get<std::string>(key, fallback);
  if (std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
    const std::string hint = did_you_mean(v, allowed);
    fail(key, "unknown value '" + v + "'" +
                  (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                  "; allowed: " + joined(allowed));
  }
  return v;
}

Section Section::section(const std::string& key) {
  read_.push_back(key);
  const YAML::Node c = child(key);
  if (c.IsDefined() && !c.IsNull() && !c.IsMap())
    fail(key, "expected a mapping (a section of keys)");
  return Section(src_, c.IsDefined() && !c.IsNull() ? c : YAML::Node(), path_of(key));
}

std::vector<Section> Section::list(const std::string& key) {
  read_.push_back(key);
  std::vector<Section> out;
  if (!has(key)) return out;
  const YAML::Node c = child(key);
  if (!c.IsSequence()) fail(key, "expected a list");
  for (size_t i = 0; i < c.size(); ++i) {
    if (!c[i].IsMap())
      throw ConfigError(src_->where(c[i], path_of(key) + "[" + std::to_string(i) + "]") +
                        ": expected a mapping");
    out.emplace_back(src_, c[i], path_of(key) + "[" + std::to_string(i) + "]");
  }
  return out;
}

std::vector<int64_t> Section::int_list(const std::string& key) {
  read_.push_back(key);
  std::vector<int64_t> out;
  if (!has(key)) return out;
  const YAML::Node c = child(key);
  if (c.IsScalar()) {  // a single number stands for a one-element list
    out.push_back(get<int64_t>(key, 0));
    return out;
  }
  if (!c.IsSequence()) fail(key, "expected a list of integers");
  for (size_t i = 0; i < c.size(); ++i) {
    try {
      if (!c[i].IsScalar() || c[i].Scalar().find_first_of(".eE") != std::string::npos)
        throw YAML::BadConversion(c[i].Mark());
      out.push_back(c[i].as<int64_t>());
    } catch (const YAML::BadConversion&) {
      throw ConfigError(src_->where(c[i], path_of(key) + "[" + std::to_string(i) + "]") +
                        ": expected an integer");
    }
  }
  return out;
}

std::vector<double> Section::numbers_of(const YAML::Node& list, const std::string& path) const {
  if (!list.IsSequence()) throw ConfigError(src_->where(list, path) + ": expected a list of numbers");
  std::vector<double> out;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string at = path + "[" + std::to_string(i) + "]";
    double v = 0;
    try {
      if (!list[i].IsScalar()) throw YAML::BadConversion(list[i].Mark());
      v = list[i].as<double>();
    } catch (const YAML::BadConversion&) {
      throw ConfigError(src_->where(list[i], at) + ": expected a number");
    }
    if (!std::isfinite(v)) throw ConfigError(src_->where(list[i], at) + ": must be finite");
    out.push_back(v);
  }
  return out;
}

std::vector<double> Section::number_list(const std::string& key) {
  read_.push_back(key);
  if (!has(key)) return {};
  return numbers_of(child(key), path_of(key));
}

std::vector<std::vector<double>> Section::number_matrix(const std::string& key) {
  read_.push_back(key);
  std::vector<std::vector<double>> out;
  if (!has(key)) return out;
  const YAML::Node c = child(key);
  if (!c.IsSequence()) fail(key, "expected a list of lists of numbers");
  for (size_t i = 0; i < c.size(); ++i)
    out.push_back(numbers_of(c[i], path_of(key) + "[" + std::to_string(i) + "]"));
  return out;
}

std::vector<std::vector<std::vector<double>>> Section::number_matrices(const std::string& key) {
  read_.push_back(key);
  std::vector<std::vector<std::vector<double>>> out;
  if (!has(key)) return out;
  const YAML::Node c = child(key);
  if (!c.IsSequence()) fail(key, "expected a list of matrices (lists of lists of numbers)");
  for (size_t i = 0; i < c.size(); ++i) {
    const std::string at = path_of(key) + "[" + std::to_string(i) + "]";
    if (!c[i].IsSequence()) throw ConfigError(src_->where(c[i], at) + ": expected a matrix");
    std::vector<std::vector<double>> m;
    for (size_t r = 0; r < c[i].size(); ++r)
      m.push_back(numbers_of(c[i][r], at + "[" + std::to_string(r) + "]"));
    out.push_back(m);
  }
  return out;
}

std::vector<std::string> Section::choice_list(const std::string& key,
                                              const std::vector<std::string>& allowed) {
  read_.push_back(key);
  std::vector<std::string> out;
  if (!has(key)) return out;
  const YAML::Node c = child(key);
  if (!c.IsSequence()) fail(key, "expected a list of names (allowed: " + joined(allowed) + ")");
  for (size_t i = 0; i < c.size(); ++i) {
    const std::string where = src_->where(c[i], path_of(key) + "[" + std::to_string(i) + "]");
    if (!c[i].IsScalar()) throw ConfigError(where + ": expected a name");
    const std::string v = c[i].Scalar();
    if (std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
      const std::string hint = did_you_mean(v, allowed);
      throw ConfigError(where + ": unknown value '" + v + "'" +
                        (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                        "; allowed: " + joined(allowed));
    }
    out.push_back(v);
  }
  return out;
}

std::map<std::string, double> Section::number_map(const std::string& key) {
  Section s = section(key);
  std::map<std::string, double> out;
  if (!s.node_.IsDefined()) return out;
  for (const auto& kv : s.node_) {
    const std::string k = kv.first.as<std::string>();
    out[k] = s.get<double>(k, 0.0);
  }
  return out;
}

void Section::finish() const {
  if (!node_.IsDefined() || !node_.IsMap()) return;
  for (const auto& kv : node_) {
    const std::string k = kv.first.as<std::string>();
    if (std::find(read_.begin(), read_.end(), k) != read_.end()) continue;
    const std::string hint = did_you_mean(k, read_);
    throw ConfigError(src_->where(kv.first, path_of(k)) + ": unknown key" +
                      (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                      "; known keys here: " + joined(read_));
  }
}

}  // namespace genlab
