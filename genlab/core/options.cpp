#include "genlab/core/options.h"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace genlab {
namespace {

std::string number_text(double v, int digits = 15) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

std::string quoted(const std::string& owner, const char* key) {
  std::string s = owner;
  s += ": option '";
  s += key;
  s += "'";
  return s;
}

// Whole-text number, or false.
bool parse_number(const std::string& text, double& out) {
  if (text.empty()) return false;
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return *end == '\0' && std::isfinite(out);
}

// The text of each key set_options is given, parsed into the field's type.
class TextReader final : public OptionsVisitor {
 public:
  TextReader(const OptionValues& values, const std::string& owner) : values_(values), owner_(owner) {}
  void field(const char* key, double& value, const char*, const Rule& rule) override {
    if (const std::string* t = text(key)) value = number(key, *t, rule);
  }
  void field(const char* key, int& value, const char*, const Rule& rule) override {
    if (const std::string* t = text(key)) value = static_cast<int>(whole(key, *t, rule, INT_MIN, INT_MAX));
  }
  void field(const char* key, int64_t& value, const char*, const Rule& rule) override {
    if (const std::string* t = text(key)) value = whole(key, *t, rule, -9.0e18, 9.0e18);
  }
  void field(const char* key, bool& value, const char*, const Rule&) override {
    const std::string* t = text(key);
    if (!t) return;
    if (*t == "true" || *t == "1") value = true;
    else if (*t == "false" || *t == "0") value = false;
    else throw std::invalid_argument(quoted(owner_, key) + " must be true or false, not '" + *t + "'");
  }
  void field(const char* key, std::string& value, const char*, const Rule& rule) override {
    const std::string* t = text(key);
    if (!t) return;
    if (!rule.admits(*t))
      throw std::invalid_argument(quoted(owner_, key) + " must be one of " + joined_names(rule.names) +
                                  ", not '" + *t + "'");
    value = *t;
  }
  void check(bool ok, const char*, const std::string& message) override {
    if (!ok) throw std::invalid_argument(owner_ + ": " + message);
  }

 private:
  const std::string* text(const char* key) const {
    const auto it = values_.find(key);
    return it == values_.end() ? nullptr : &it->second.text;
  }
  double number(const char* key, const std::string& t, const Rule& rule) const {
    double x = 0;
    if (!parse_number(t, x))
      throw std::invalid_argument(quoted(owner_, key) + " must be a number, not '" + t + "'");
    if (!rule.admits(x))
      throw std::invalid_argument(quoted(owner_, key) + " must be " + rule.must_be() + ", not " + t);
    return x;
  }
  int64_t whole(const char* key, const std::string& t, const Rule& rule, double lo, double hi) const {
    const double x = number(key, t, rule);
    if (x != std::floor(x) || x < lo || x > hi)
      throw std::invalid_argument(quoted(owner_, key) + " must be a whole number, not " + t);
    return static_cast<int64_t>(x);
  }
  const OptionValues& values_;
  const std::string& owner_;
};

// The rules and checks at the current values.
class RuleChecker final : public OptionsVisitor {
 public:
  explicit RuleChecker(const std::string& owner) : owner_(owner) {}
  void field(const char* key, double& v, const char*, const Rule& r) override { number(key, v, r); }
  void field(const char* key, int& v, const char*, const Rule& r) override { number(key, v, r); }
  void field(const char* key, int64_t& v, const char*, const Rule& r) override {
    number(key, static_cast<double>(v), r);
  }
  void field(const char*, bool&, const char*, const Rule&) override {}
  void field(const char* key, std::string& v, const char*, const Rule& r) override {
    if (!r.admits(v))
      throw std::invalid_argument(quoted(owner_, key) + " must be " + r.describe() + ", not '" + v + "'");
  }
  void check(bool ok, const char*, const std::string& message) override {
    if (!ok) throw std::invalid_argument(owner_ + ": " + message);
  }

 private:
  void number(const char* key, double v, const Rule& r) const {
    if (!r.admits(v))
      throw std::invalid_argument(quoted(owner_, key) + " must be " + r.must_be() + ", not " + number_text(v));
  }
  const std::string& owner_;
};

// Each key with its type, value text, rule and doc.
class KeyLister final : public OptionsVisitor {
 public:
  void field(const char* key, double& v, const char* doc, const Rule& r) override {
    add(key, "number", number_text(v), doc, r);
  }
  void field(const char* key, int& v, const char* doc, const Rule& r) override {
    add(key, "integer", std::to_string(v), doc, r);
  }
  void field(const char* key, int64_t& v, const char* doc, const Rule& r) override {
    add(key, "integer", std::to_string(v), doc, r);
  }
  void field(const char* key, bool& v, const char* doc, const Rule& r) override {
    add(key, "bool", v ? "true" : "false", doc, r);
  }
  void field(const char* key, std::string& v, const char* doc, const Rule& r) override {
    add(key, "string", v, doc, r);
  }
  void check(bool, const char*, const std::string&) override {}
  std::vector<OptionKey> keys;

 private:
  void add(const char* key, const char* type, std::string value, const char* doc, const Rule& r) {
    std::string allowed = r.describe();
    if (!r.note.empty()) allowed += (allowed.empty() ? "" : "; ") + r.note;
    keys.push_back({key, type, std::move(value), std::move(allowed), doc, r.names});
  }
};

}  // namespace

OptionValue::OptionValue(double v) : text(number_text(v, 17)) {}

std::string joined_names(const std::vector<std::string>& names, const char* sep) {
  std::string s;
  for (const auto& x : names) s += (s.empty() ? "" : sep) + x;
  return s;
}

bool Rule::admits(double v) const {
  if (!std::isfinite(v)) return false;
  if (lo_open ? !(v > lo) : !(v >= lo)) return false;
  if (hi_open ? !(v < hi) : !(v <= hi)) return false;
  return true;
}

bool Rule::admits(const std::string& s) const {
  if (s.empty()) return auto_allowed || (!non_empty && names.empty());
  return names.empty() || std::find(names.begin(), names.end(), s) != names.end();
}

std::string Rule::describe() const {
  if (!names.empty()) return joined_names(names, " | ");
  if (non_empty) return "non-empty";
  const bool has_lo = std::isfinite(lo), has_hi = std::isfinite(hi);
  if (has_lo && has_hi)
    return std::string(lo_open ? "(" : "[") + number_text(lo) + ", " + number_text(hi) + (hi_open ? ")" : "]");
  if (has_lo) return (lo_open ? "> " : ">= ") + number_text(lo);
  if (has_hi) return (hi_open ? "< " : "<= ") + number_text(hi);
  return "";
}

std::string Rule::must_be() const {
  const std::string d = describe();
  const bool range = !d.empty() && (d[0] == '[' || d[0] == '(');
  return (range ? "in " : "") + d + (note.empty() ? "" : " (" + note + ")");
}

Rule at_least(double lo) {
  Rule r;
  r.lo = lo;
  return r;
}
Rule above(double lo) {
  Rule r;
  r.lo = lo, r.lo_open = true;
  return r;
}
Rule between(double lo, double hi, const char* brackets) {
  Rule r;
  r.lo = lo, r.hi = hi;
  r.lo_open = brackets[0] == '(';
  r.hi_open = brackets[1] == ')';
  return r;
}
Rule one_of(const std::vector<std::string>& names) {
  Rule r;
  r.names = names;
  return r;
}
Rule non_empty() {
  Rule r;
  r.non_empty = true;
  return r;
}

std::vector<OptionKey> option_keys(const AnyOptions& o) {
  KeyLister lister;
  o.visit(lister);
  return lister.keys;
}

std::map<std::string, std::string> option_values(const AnyOptions& o) {
  std::map<std::string, std::string> out;
  for (const auto& k : option_keys(o)) out[k.key] = k.value;
  return out;
}

void set_options(AnyOptions& o, const OptionValues& values, const std::string& owner) {
  const auto keys = option_keys(o);
  for (const auto& given : values) {
    const std::string& key = given.first;  // named, not bound: clang 14 captures no bindings
    if (std::any_of(keys.begin(), keys.end(), [&](const OptionKey& k) { return k.key == key; })) continue;
    std::string allowed;
    for (const auto& k : keys) allowed += (allowed.empty() ? "" : ", ") + k.key;
    throw std::invalid_argument(owner + " has no option '" + key + "' (allowed: " +
                                (allowed.empty() ? "none" : allowed) + ")");
  }
  TextReader reader(values, owner);
  o.visit(reader);
}

void check_options(const AnyOptions& o, const std::string& owner) {
  RuleChecker checker(owner);
  o.visit(checker);
}

}  // namespace genlab
