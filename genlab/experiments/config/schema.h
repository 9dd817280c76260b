// One declaration per options struct serves three visitors: ConfigReader (YAML -> struct,
// with located errors, did-you-mean and range checks), ConfigWriter (struct -> the
// resolved YAML) and ConfigReference (the key reference: type, default, allowed, doc).
// A struct declares its keys once, next to where it is configured:
//
//   template <class V> void fields(V& v, TrainConfig& t) {
//     v.field("steps", t.steps, "optimizer steps", at_least(0));
//     v.field("schedule", t.schedule, "learning-rate schedule", one_of(lr_schedule_kinds()));
//     v.check(t.warmup_steps <= t.steps, "warmup_steps", "must be <= steps");  // reading only
//   }
//
// Reading-only code (defaults that depend on other sections) goes inside
// `if constexpr (V::reading)`, where `v.context()` is the experiment read so far.
// AnyOptions holds a struct chosen at run time (a family's or a data set's options) and
// dispatches to its fields().
#pragma once

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <vector>

#include "genlab/experiments/config/yaml_section.h"

namespace genlab {

struct ExperimentConfig;

// What a value may be: a range for numbers (each bound closed or open), a list of names
// for strings, and a note for the reference ("0: off"). Numbers must be finite.
struct Rule {
  double lo = -HUGE_VAL, hi = HUGE_VAL;
  bool lo_open = false, hi_open = false;
  std::vector<std::string> names;  // allowed strings (empty: any)
  bool auto_allowed = false;       // "" allowed: the value then follows from the context
  bool non_empty = false;          // strings: "" refused
  std::string note;

  Rule& with_note(std::string n) {
    note = std::move(n);
    return *this;
  }
  // "" is allowed and means: chosen from the context as `how` says.
  Rule& or_auto(std::string how) {
    auto_allowed = true;
    note = "empty: " + std::move(how);
    return *this;
  }
  bool admits(double v) const;
  bool admits(const std::string& s) const;
  std::string describe() const;  // "[0, 10)", "> 0", "a | b", "" for anything
};

Rule at_least(double lo);
Rule above(double lo);
// brackets: "[]", "[)", "(]" or "()" for closed and open ends.
Rule between(double lo, double hi, const char* brackets = "[]");
Rule one_of(const std::vector<std::string>& names);
Rule non_empty();

template <class T>
std::string config_type_name() {
  if constexpr (std::is_same_v<T, bool>) return "bool";
  if constexpr (std::is_same_v<T, std::string>) return "string";
  if constexpr (std::is_floating_point_v<T>) return "number";
  if constexpr (std::is_integral_v<T>) return "integer";
  if constexpr (std::is_same_v<T, std::vector<int64_t>>) return "list of integers";
  if constexpr (std::is_same_v<T, std::vector<double>>) return "list of numbers";
  if constexpr (std::is_same_v<T, std::vector<std::string>>) return "list of names";
  if constexpr (std::is_same_v<T, std::vector<std::vector<double>>>) return "matrix";
  if constexpr (std::is_same_v<T, std::vector<std::vector<std::vector<double>>>>)
    return "list of matrices";
  if constexpr (std::is_same_v<T, std::map<std::string, std::string>>) return "map of numbers or names";
  return "value";
}

class ConfigReader;
class ConfigWriter;
class ConfigReference;

// An options struct picked at run time (by model.family or data.name), copyable, with its
// fields() reachable through the three visitors.
class AnyOptions {
 public:
  AnyOptions() = default;
  template <class T>
  static AnyOptions of(T value = T{}) {
    AnyOptions a;
    a.p_ = std::make_unique<Model<T>>(std::move(value));
    return a;
  }
  AnyOptions(const AnyOptions& o) : p_(o.p_ ? o.p_->clone() : nullptr) {}
  AnyOptions& operator=(const AnyOptions& o) {
    p_ = o.p_ ? o.p_->clone() : nullptr;
    return *this;
  }
  AnyOptions(AnyOptions&&) = default;
  AnyOptions& operator=(AnyOptions&&) = default;

  bool empty() const { return !p_; }
  template <class T>
  const T& as() const {
    const auto* m = dynamic_cast<const Model<T>*>(p_.get());
    if (!m) throw std::logic_error(std::string("options are not a ") + typeid(T).name());
    return m->value;
  }
  template <class T>
  T& as() {
    return const_cast<T&>(static_cast<const AnyOptions&>(*this).as<T>());
  }
  template <class T>
  bool holds() const {
    return dynamic_cast<const Model<T>*>(p_.get()) != nullptr;
  }
  void read(ConfigReader& r) {
    if (p_) p_->read(r);
  }
  void write(ConfigWriter& w) const {
    if (p_) p_->write(w);
  }
  void reference(ConfigReference& r) const {
    if (p_) p_->reference(r);
  }

 private:
  struct Concept {
    virtual ~Concept() = default;
    virtual void read(ConfigReader&) = 0;
    virtual void write(ConfigWriter&) const = 0;
    virtual void reference(ConfigReference&) const = 0;
    virtual std::unique_ptr<Concept> clone() const = 0;
  };
  template <class T>
  struct Model final : Concept {
    explicit Model(T v) : value(std::move(v)) {}
    void read(ConfigReader& r) override { fields(r, value); }
    void write(ConfigWriter& w) const override {
      T copy = value;  // fields() takes T&; writing changes nothing
      fields(w, copy);
    }
    void reference(ConfigReference& r) const override {
      T copy = value;
      fields(r, copy);
    }
    std::unique_ptr<Concept> clone() const override { return std::make_unique<Model<T>>(value); }
    T value;
  };
  std::unique_ptr<Concept> p_;
};

// YAML -> struct. Keys not declared are errors (finish()).
class ConfigReader {
 public:
  static constexpr bool reading = true;
  // The reference documents every key of every kind; the reader and the writer see the
  // keys of the kind a section chose (fields() branch on it).
  static constexpr bool documenting = false;
  ConfigReader(Section s, const ExperimentConfig* context) : s_(std::move(s)), context_(context) {}

  template <class T>
  void field(const char* key, T& value, const char* doc, const Rule& rule = {});
  template <class S>
  void section(const char* key, S& sub, const char*) {
    ConfigReader r(s_.section(key), context_);
    fields(r, sub);
    r.finish();
  }
  // A list of sections, each read by fields(); a name key must be unique.
  template <class S>
  void list(const char* key, std::vector<S>& items, const char*) {
    items.clear();
    for (auto& sec : s_.list(key)) {
      ConfigReader r(sec, context_);
      S item;
      fields(r, item);
      r.finish();
      for (const auto& other : items)
        if (other.name == item.name)
          r.fail("name", "duplicate name '" + item.name + "' (give each a distinct name)");
      items.push_back(std::move(item));
    }
  }
  // The keys of a run-time chosen struct, read into the same section.
  void options(AnyOptions& o) { o.read(*this); }
  void check(bool ok, const char* key, const std::string& message) const {
    s_.check(ok, key, message);
  }
  [[noreturn]] void fail(const char* key, const std::string& message) const { s_.fail(key, message); }
  bool has(const char* key) const { return s_.has(key); }
  bool overridden(const char* key) const { return s_.overridden(key); }
  void note(const std::string& text) const { s_.note(text); }
  void finish() const { s_.finish(); }
  Section& yaml() { return s_; }
  const ExperimentConfig* context() const { return context_; }

 private:
  Section s_;
  const ExperimentConfig* context_;
};

// struct -> YAML (the resolved config).
class ConfigWriter {
 public:
  static constexpr bool reading = false;
  static constexpr bool documenting = false;
  explicit ConfigWriter(YAML::Emitter& e) : e_(e) {}
  template <class T>
  void field(const char* key, T& value, const char*, const Rule& = {}) {
    e_ << YAML::Key << key << YAML::Value;
    emit(value);
  }
  template <class S>
  void section(const char* key, S& sub, const char*) {
    e_ << YAML::Key << key << YAML::Value << YAML::BeginMap;
    fields(*this, sub);
    e_ << YAML::EndMap;
  }
  template <class S>
  void list(const char* key, std::vector<S>& items, const char*) {
    e_ << YAML::Key << key << YAML::Value << YAML::BeginSeq;
    for (auto& item : items) {
      e_ << YAML::BeginMap;
      fields(*this, item);
      e_ << YAML::EndMap;
    }
    e_ << YAML::EndSeq;
  }
  void options(const AnyOptions& o) { o.write(*this); }
  void check(bool, const char*, const std::string&) const {}
  const ExperimentConfig* context() const { return nullptr; }

 private:
  template <class T>
  void emit(const T& v) {
    if constexpr (std::is_same_v<T, std::vector<std::vector<std::vector<double>>>>) {
      e_ << YAML::BeginSeq;
      for (const auto& m : v) {
        e_ << YAML::Flow << YAML::BeginSeq;
        for (const auto& row : m) e_ << YAML::Flow << row;
        e_ << YAML::EndSeq;
      }
      e_ << YAML::EndSeq;
    } else if constexpr (std::is_same_v<T, std::vector<std::vector<double>>>) {
      e_ << YAML::Flow << YAML::BeginSeq;
      for (const auto& row : v) e_ << YAML::Flow << row;
      e_ << YAML::EndSeq;
    } else if constexpr (std::is_same_v<T, std::vector<int64_t>> ||
                         std::is_same_v<T, std::vector<double>> ||
                         std::is_same_v<T, std::vector<std::string>>) {
      e_ << YAML::Flow << v;
    } else if constexpr (std::is_same_v<T, std::map<std::string, std::string>>) {
      e_ << YAML::BeginMap;
      for (const auto& [k, x] : v) e_ << YAML::Key << k << YAML::Value << x;
      e_ << YAML::EndMap;
    } else {
      e_ << v;
    }
  }
  YAML::Emitter& e_;
};

// One row of the key reference.
struct ReferenceRow {
  std::string key, type, default_value, allowed, doc;
};

// struct -> rows of the reference (the struct's current values are the defaults).
class ConfigReference {
 public:
  static constexpr bool reading = false;
  static constexpr bool documenting = true;
  explicit ConfigReference(std::string prefix = "") : prefix_(std::move(prefix)) {}
  template <class T>
  void field(const char* key, T& value, const char* doc, const Rule& rule = {}) {
    rows_.push_back({prefix_ + key, config_type_name<T>(), default_text(value), allowed(rule), doc});
  }
  template <class S>
  void section(const char* key, S& sub, const char*) {
    ConfigReference r(prefix_ + key + ".");
    fields(r, sub);
    rows_.insert(rows_.end(), r.rows_.begin(), r.rows_.end());
  }
  template <class S>
  void list(const char* key, std::vector<S>&, const char*) {
    ConfigReference r(prefix_ + key + "[].");
    S item;
    fields(r, item);
    rows_.insert(rows_.end(), r.rows_.begin(), r.rows_.end());
  }
  // Run-time chosen structs are listed in their own tables (config_reference()).
  void options(const AnyOptions&) {}
  void check(bool, const char*, const std::string&) const {}
  const ExperimentConfig* context() const { return nullptr; }
  const std::vector<ReferenceRow>& rows() const { return rows_; }

 private:
  template <class T>
  static std::string default_text(const T& v) {
    YAML::Emitter e;
    e.SetDoublePrecision(15);
    ConfigWriter w(e);
    e << YAML::BeginMap;
    T copy = v;
    w.field("v", copy, "");
    e << YAML::EndMap;
    std::string s = e.c_str();
    s = s.substr(s.find(':') + 1);
    while (!s.empty() && (s[0] == ' ' || s[0] == '\n')) s.erase(0, 1);
    for (auto& ch : s)
      if (ch == '\n') ch = ' ';
    return s.empty() || s == "\"\"" || s == "''" ? "(empty)" : s;
  }
  static std::string allowed(const Rule& r) {
    const std::string d = r.describe();
    return r.note.empty() ? d : (d.empty() ? r.note : d + "; " + r.note);
  }
  std::string prefix_;
  std::vector<ReferenceRow> rows_;
};

}  // namespace genlab
