#include "genlab/experiments/config/yaml_section.h"

#include <algorithm>
#include <cctype>
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

namespace {

// The byte offset of the first invalid UTF-8 sequence (overlong forms, surrogates and
// code points past U+10FFFF included), or npos.
size_t invalid_utf8_at(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    int n = 0;
    uint32_t cp = 0, min = 0;
    if (c < 0x80) n = 0, cp = c;
    else if ((c & 0xE0) == 0xC0) n = 1, cp = c & 0x1F, min = 0x80;
    else if ((c & 0xF0) == 0xE0) n = 2, cp = c & 0x0F, min = 0x800;
    else if ((c & 0xF8) == 0xF0) n = 3, cp = c & 0x07, min = 0x10000;
    else return i;
    for (int k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return i;
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (d & 0x3F);
    }
    if (n > 0 && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) return i;
    i += n + 1;
  }
  return std::string::npos;
}

std::string line_col(const std::string& text, size_t offset) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') ++line, col = 1;
    else ++col;
  }
  return std::to_string(line) + ":" + std::to_string(col);
}

std::string mark_text(const YAML::Mark& m) {
  return std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

// A quoted scalar not closed on its own line. yaml-cpp lets an unterminated quote run to
// the end of the file, swallowing every key after it into one string; a config never
// needs a multi-line quoted string, so the opening quote's line:column is reported.
// Returns "" or "line:col".
std::string unclosed_quote(const std::string& text) {
  size_t line_no = 0, pos = 0;
  while (pos <= text.size()) {
    const size_t end = std::min(text.find('\n', pos), text.size());
    const std::string line = text.substr(pos, end - pos);
    ++line_no;
    char open = 0;
    size_t start = 0;
    for (size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (!open) {
        if (c == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) break;
        if (c != '"' && c != '\'') continue;
        const size_t prev = i == 0 ? std::string::npos : line.find_last_not_of(" \t", i - 1);
        if (prev == std::string::npos || std::string(":-[{,?").find(line[prev]) != std::string::npos)
          open = c, start = i;
      } else if (open == '"' && c == '\\') {
        ++i;
      } else if (c == open) {
        if (open == '\'' && i + 1 < line.size() && line[i + 1] == '\'') ++i;  // '' inside '...'
        else open = 0;
      }
    }
    if (open) return std::to_string(line_no) + ":" + std::to_string(start + 1);
    pos = end + 1;
  }
  return "";
}

// "line:1" of a document marker ("---" or "...") that follows content, or "": yaml-cpp's
// Load reads only the first document and would ignore the rest silently.
std::string second_document(const std::string& text) {
  bool content = false;
  size_t line_no = 0, pos = 0;
  while (pos <= text.size()) {
    const size_t end = std::min(text.find('\n', pos), text.size());
    const std::string line = text.substr(pos, end - pos);
    ++line_no;
    const bool marker = (line.rfind("---", 0) == 0 || line.rfind("...", 0) == 0) &&
                        (line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r');
    if (marker && content) {
      // Content after the marker makes it a second document ("..." may just end the first).
      const std::string rest = line.substr(3) + text.substr(std::min(end + 1, text.size()));
      for (size_t i = 0; i < rest.size(); ++i) {
        if (rest[i] == '#') {
          i = rest.find('\n', i);
          if (i == std::string::npos) break;
        } else if (!std::isspace(static_cast<unsigned char>(rest[i]))) {
          return std::to_string(line_no) + ":1";
        }
      }
      return "";
    }
    const size_t first = line.find_first_not_of(" \t\r");
    if (!marker && first != std::string::npos && line[first] != '#' && line[first] != '%') content = true;
    pos = end + 1;
  }
  return "";
}

// A key given twice in one mapping: YAML forbids it and yaml-cpp would keep the first.
// `budget` counts the values visited: aliases can make a short text expand to billions
// of values ("billion laughs", found by fuzz/fuzz_config), which is refused instead.
void refuse_duplicate_keys(const YAML::Node& n, const std::string& file, const std::string& path,
                           int64_t& budget) {
  if (--budget < 0)
    throw ConfigError(file + ": the config expands to more than 100000 values (aliases of "
                             "aliases?); a config is small");
  if (n.IsMap()) {
    std::map<std::string, YAML::Mark> seen;
    for (const auto& kv : n) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
      if (!kv.first.IsScalar())
        throw ConfigError(file + ":" + mark_text(kv.first.Mark()) + ": " + path +
                          ": a key must be a plain name, not a list or mapping");
      const std::string at = path.empty() ? key : path + "." + key;
      if (seen.count(key))
        throw ConfigError(file + ":" + mark_text(kv.first.Mark()) + ": " + at +
                          ": duplicate key (first given at line " +
                          std::to_string(seen.at(key).line + 1) + ")");
      seen.emplace(key, kv.first.Mark());
      refuse_duplicate_keys(kv.second, file, at, budget);
    }
  } else if (n.IsSequence()) {
    for (size_t i = 0; i < n.size(); ++i)
      refuse_duplicate_keys(n[i], file, path + "[" + std::to_string(i) + "]", budget);
  }
}

// "a.b.c" -> {"a", "b", "c"}; an empty piece anywhere (a.b., a..b) is an error.
std::vector<std::string> split_key_path(const std::string& path, const std::string& text) {
  std::vector<std::string> keys;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    keys.push_back(path.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (keys.back().empty())
      throw ConfigError("override '" + text + "': empty key in the path '" + path + "'");
    if (dot == std::string::npos) return keys;
    start = dot + 1;
  }
}

// Text that is not UTF-8 YAML of one document: UTF-16/32, invalid UTF-8, an unclosed
// quote, a second document. Refused before yaml-cpp reads it, with the place.
void refuse_unreadable_text(const std::string& text, const std::string& name) {
  // UTF-16 and UTF-32 (a byte-order mark, or zero bytes between ASCII letters: what some
  // Windows editors save) are named as such, with what to do.
  const bool bom16 = text.size() >= 2 && ((text[0] == '\xff' && text[1] == '\xfe') || (text[0] == '\xfe' && text[1] == '\xff'));
  const bool zeros = text.size() >= 4 && (text[1] == '\0' || text[0] == '\0') && text.find('\0') < 4;
  if (bom16 || zeros)
    throw ConfigError(name + ": the file is UTF-16 or UTF-32 text (" +
                      (bom16 ? std::string("a byte-order mark") : std::string("zero bytes between characters")) +
                      "); genlab reads UTF-8: save it as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8)");
  if (const size_t bad = invalid_utf8_at(text); bad != std::string::npos)
    throw ConfigError(name + ":" + line_col(text, bad) + ": invalid UTF-8 (byte offset " +
                      std::to_string(bad) + ")");
  if (const std::string at = unclosed_quote(text); !at.empty())
    throw ConfigError(name + ":" + at +
                      ": a quote opened here is not closed on its line (an unterminated quote "
                      "would swallow the keys after it)");
  if (const std::string at = second_document(text); !at.empty())
    throw ConfigError(name + ":" + at +
                      ": a second YAML document (after --- or ...); a config is one document");
}

// Whether text yaml-cpp read as nothing holds anything besides comments, blanks and
// document markers (then it is not a config; an empty file is an empty one).
bool has_content(const std::string& text) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '#') {
      i = text.find('\n', i);
      if (i == std::string::npos) return false;
    } else if (text.compare(i, 3, "---") == 0 || text.compare(i, 3, "...") == 0) {
      i += 2;  // a document marker
    } else if (!std::isspace(static_cast<unsigned char>(text[i]))) {
      return true;
    }
  }
  return false;
}

// One `key.path=value` override written into the document: mappings are created on the
// way, a number indexes a list (samplers.0.steps=32). Returns the path as errors spell it
// (samplers[0].steps).
std::string apply_override(YAML::Node& root, const std::string& text_override) {
  const auto eq = text_override.find('=');
  if (eq == std::string::npos || eq == 0) throw ConfigError("override '" + text_override + "': expected key.path=value");
  const std::string path = text_override.substr(0, eq), value = text_override.substr(eq + 1);
  if (value.find_first_not_of(" \t") == std::string::npos)
    throw ConfigError("override '" + text_override + "': empty value (give one; to use the default, leave the key out)");
  if (const size_t bad = invalid_utf8_at(text_override); bad != std::string::npos)
    throw ConfigError("override '" + text_override + "': invalid UTF-8");
  YAML::Node parsed;
  try {
    parsed = YAML::Load(value);
  } catch (const YAML::ParserException& e) {
    throw ConfigError("override '" + text_override + "': the value is not valid YAML: " + e.msg);
  }
  const std::vector<std::string> keys = split_key_path(path, text_override);
  auto is_index = [](const std::string& k) {
    return !k.empty() && k.size() <= 9 && k.find_first_not_of("0123456789") == std::string::npos;
  };
  std::string canonical;
  // (yaml-cpp's Node::operator= writes into the node; reset() rebinds the handle.)
  YAML::Node node;
  node.reset(root);
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
    if (!node.IsMap()) throw ConfigError("override '" + text_override + "': " + canonical + " is not a section");
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
  return canonical;
}

}  // namespace

YamlSource YamlSource::parse(const std::string& text, const std::string& name,
                             const std::vector<std::string>& overrides) {
  YamlSource src;
  src.file_ = name;
  refuse_unreadable_text(text, name);
  try {
    src.root_ = YAML::Load(text);  // not LoadAll: yaml-cpp 0.7's LoadAll can loop forever
  } catch (const YAML::ParserException& e) {
    // yaml-cpp says "bad file" when its nesting limit is hit; say what that means.
    const std::string why = e.msg == "bad file" ? "nested too deeply (a config needs a few levels)"
                                                : e.msg;
    throw ConfigError(name + ":" + std::to_string(e.mark.line + 1) + ":" +
                      std::to_string(e.mark.column + 1) + ": YAML syntax error: " + why);
  }
  int64_t budget = 100000;
  refuse_duplicate_keys(src.root_, name, "", budget);
  if (src.root_.IsNull()) {
    if (has_content(text)) throw ConfigError(name + ": not a YAML mapping of sections (key: value lines)");
    src.root_ = YAML::Node(YAML::NodeType::Map);
  }
  if (!src.root_.IsMap()) throw ConfigError(name + ": the config must be a mapping of sections");
  for (const auto& text_override : overrides) src.overrides_[apply_override(src.root_, text_override)] = text_override;
  return src;
}

YamlSource YamlSource::from_node(YAML::Node root, const std::string& name) {
  YamlSource src;
  src.file_ = name;
  src.root_ = std::move(root);
  src.positions_ = false;  // its marks point into no text
  return src;
}

Section YamlSource::root() const {
  return Section(this, root_, "");
}

bool YamlSource::overridden(const std::string& path) const {
  for (const auto& [p, text] : overrides_)
    if (path == p || path.rfind(p + ".", 0) == 0 || path.rfind(p + "[", 0) == 0) return true;
  return false;
}

std::string YamlSource::append_overrides(const std::string& message) const {
  if (overrides_.empty()) return message;
  std::string given;
  for (const auto& [p, text] : overrides_) given += (given.empty() ? "" : ", ") + text;
  return message + " (command line: " + given + ")";
}

std::string YamlSource::where(const YAML::Node& node, const std::string& path) const {
  // An override sets this path or one of its parents.
  for (const auto& [p, text] : overrides_)
    if (path == p || path.rfind(p + ".", 0) == 0 || path.rfind(p + "[", 0) == 0)
      return "override '" + text + "': " + path;
  const YAML::Mark m = node.Mark();
  if (m.is_null() || !positions_) return file_ + ": " + path;
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
  const std::string at = src_->where(c.IsDefined() ? c : node_, path_of(key));
  const std::string text = at + ": " + message;
  throw ConfigError(overridden(key) ? text : src_->append_overrides(text));
}

void Section::check(bool ok, const std::string& key, const std::string& what) const {
  if (!ok) fail(key, what);
}

template <class T>
T Section::get(const std::string& key, const T& fallback) {
  mark_read(key);
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
  mark_read(key);
  const YAML::Node c = child(key);
  if (c.IsDefined() && !c.IsNull() && !c.IsMap())
    fail(key, "expected a mapping (a section of keys)");
  return Section(src_, c.IsDefined() && !c.IsNull() ? c : YAML::Node(), path_of(key));
}

void Section::expand_each(const std::string& key, const std::string& into, const std::vector<std::string>& cross) {
  if (!has(key) || !child(key).IsSequence()) return;  // list() reports what is wrong
  const YAML::Node items = child(key);
  YAML::Node out(YAML::NodeType::Sequence);
  bool any = false;
  for (size_t i = 0; i < items.size(); ++i) {
    const YAML::Node item = items[i];
    const std::string where = path_of(key) + "[" + std::to_string(i) + "]";
    if (!item.IsMap() || !item["each"]) {
      out.push_back(item);
      continue;
    }
    any = true;
    const YAML::Node names = item["each"];
    if (!names.IsSequence() || names.size() == 0)
      throw ConfigError(src_->where(names, where + ".each") + ": expected a non-empty list of names");
    if (item[into])
      throw ConfigError(src_->where(item[into], where + "." + into) + ": give " + into + " or each, not both");
    // The copies: each name, then each value of every crossed list.
    std::vector<YAML::Node> copies;
    for (size_t n = 0; n < names.size(); ++n) {
      YAML::Node copy(YAML::NodeType::Map);
      for (const auto& kv : item)
        if (kv.first.as<std::string>() != "each") copy[kv.first] = kv.second;
      copy[into] = names[n];
      copies.push_back(copy);
    }
    for (const auto& k : cross) {
      const YAML::Node values = item[k];
      if (!values || !values.IsSequence()) continue;
      if (values.size() == 0) throw ConfigError(src_->where(values, where + "." + k) + ": expected a non-empty list");
      std::vector<YAML::Node> crossed;
      for (const auto& c : copies)
        for (size_t v = 0; v < values.size(); ++v) {
          YAML::Node copy(YAML::NodeType::Map);
          for (const auto& kv : c) copy[kv.first] = kv.second;
          copy[k] = values[v];
          crossed.push_back(copy);
        }
      copies = crossed;
    }
    for (const auto& c : copies) out.push_back(c);
  }
  if (any) node_[key] = out;
}

std::vector<Section> Section::list(const std::string& key) {
  mark_read(key);
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
  mark_read(key);
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
  mark_read(key);
  if (!has(key)) return {};
  return numbers_of(child(key), path_of(key));
}

std::vector<std::vector<double>> Section::number_matrix(const std::string& key) {
  mark_read(key);
  std::vector<std::vector<double>> out;
  if (!has(key)) return out;
  const YAML::Node c = child(key);
  if (!c.IsSequence()) fail(key, "expected a list of lists of numbers");
  for (size_t i = 0; i < c.size(); ++i)
    out.push_back(numbers_of(c[i], path_of(key) + "[" + std::to_string(i) + "]"));
  return out;
}

std::vector<std::vector<std::vector<double>>> Section::number_matrices(const std::string& key) {
  mark_read(key);
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
  mark_read(key);
  std::vector<std::string> out;
  if (!has(key)) return out;
  const YAML::Node c = child(key);
  if (!c.IsSequence()) fail(key, "expected a list of names (allowed: " + joined(allowed) + ")");
  for (size_t i = 0; i < c.size(); ++i) {
    const std::string where = src_->where(c[i], path_of(key) + "[" + std::to_string(i) + "]");
    if (!c[i].IsScalar()) throw ConfigError(where + ": expected a name");
    const std::string v = c[i].Scalar();
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
      const std::string hint = did_you_mean(v, allowed);
      throw ConfigError(where + ": unknown value '" + v + "'" +
                        (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                        "; allowed: " + joined(allowed));
    }
    out.push_back(v);
  }
  return out;
}

std::map<std::string, std::string> Section::scalar_map(const std::string& key) {
  Section s = section(key);
  std::map<std::string, std::string> out;
  if (!s.node_.IsDefined()) return out;
  for (const auto& kv : s.node_) {
    const std::string k = kv.first.as<std::string>();
    if (!kv.second.IsScalar()) s.fail(k, "must be a number or a name");
    out[k] = kv.second.as<std::string>();
    s.mark_read(k);
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
                      "; known keys here: " + (read_.empty() ? std::string("none") : joined(read_)));
  }
}

void cap_override(std::vector<std::string>& out, const std::string& key, int64_t value, int64_t cap,
                  bool zero_means_all) {
  if (value > cap || (zero_means_all && value == 0)) out.push_back(key + "=" + std::to_string(cap));
}

}  // namespace genlab
