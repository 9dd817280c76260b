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
// The rules, AnyOptions and the text visitors are yaml-free, in genlab/core/options.h.
// ChosenOptions holds a struct chosen at run time by a section's key (a family's or a data
// set's options), whose fields() may read the rest of the experiment, so it dispatches to
// these three visitors; options_section() reads and writes a library struct held in
// AnyOptions (a sampler's options) through OptionsVisitor.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <vector>

#include "genlab/core/options.h"
#include "genlab/experiments/config/yaml_section.h"

namespace genlab {

struct ExperimentConfig;

class ConfigReader;
class ConfigWriter;
class ConfigReference;

// One of the three visitors seen as an OptionsVisitor, for the structs AnyOptions holds.
template <class V>
class OptionsVisitorOf final : public OptionsVisitor {
 public:
  explicit OptionsVisitorOf(V& v) : v_(v) {}
  void field(const char* k, double& x, const char* d, const Rule& r) override { v_.field(k, x, d, r); }
  void field(const char* k, int& x, const char* d, const Rule& r) override { v_.field(k, x, d, r); }
  void field(const char* k, int64_t& x, const char* d, const Rule& r) override { v_.field(k, x, d, r); }
  void field(const char* k, bool& x, const char* d, const Rule& r) override { v_.field(k, x, d, r); }
  void field(const char* k, std::string& x, const char* d, const Rule& r) override { v_.field(k, x, d, r); }
  void check(bool ok, const char* k, const std::string& m) override { v_.check(ok, k, m); }

 private:
  V& v_;
};

namespace schema_detail {
struct Configurable {
  virtual ~Configurable() = default;
  virtual void read(ConfigReader&) = 0;
  virtual void write(ConfigWriter&) const = 0;
  virtual void reference(ConfigReference&) const = 0;
  virtual std::unique_ptr<Configurable> clone() const = 0;
};
template <class T>
struct ConfigurableModel final : Configurable {
  explicit ConfigurableModel(T v) : value(std::move(v)) {}
  void read(ConfigReader& r) override { fields(r, value); }
  void write(ConfigWriter& w) const override {
    T copy = value;  // fields() takes T&; writing changes nothing
    fields(w, copy);
  }
  void reference(ConfigReference& r) const override {
    T copy = value;
    fields(r, copy);
  }
  std::unique_ptr<Configurable> clone() const override { return std::make_unique<ConfigurableModel<T>>(value); }
  T value;
};
}  // namespace schema_detail

// An options struct picked at run time (by model.family or data.name), copyable, with its
// fields() reachable through the three visitors.
class ChosenOptions
    : public ErasedValue<ChosenOptions, schema_detail::Configurable, schema_detail::ConfigurableModel> {
 public:
  void read(ConfigReader& r) {
    if (p_) p_->read(r);
  }
  void write(ConfigWriter& w) const {
    if (p_) p_->write(w);
  }
  void reference(ConfigReference& r) const {
    if (p_) p_->reference(r);
  }
};

// YAML -> struct. Keys not declared are errors (finish()).
class ConfigReader {
 public:
  static constexpr bool reading = true;
  // The reference documents every key of every kind; the reader and the writer see the
  // keys of the kind a section chose (fields() branch on it).
  static constexpr bool documenting = false;
  ConfigReader(Section s, const ExperimentConfig* context) : s_(std::move(s)), context_(context) {}

  // A choice (enum class) is read by name; every other type by field_value (schema.cpp).
  template <class T>
  void field(const char* key, T& value, const char* doc, const Rule& rule = {}) {
    if constexpr (std::is_enum_v<T>) {
      std::string name = name_of(value);
      field_value(key, name, doc, choice_rule(value, rule));
      value = value_of<T>(name);
    } else {
      field_value(key, value, doc, rule);
    }
  }
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
  void options(ChosenOptions& o) { o.read(*this); }
  // A library struct's keys in their own sub-section (samplers[].options).
  void options_section(const char* key, AnyOptions& o, const char*) {
    ConfigReader r(s_.section(key), context_);
    OptionsVisitorOf<ConfigReader> a(r);
    o.visit(a);
    r.finish();
  }
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
  template <class T>
  void field_value(const char* key, T& value, const char* doc, const Rule& rule);
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
    if constexpr (std::is_enum_v<T>)
      e_ << name_of(value);
    else
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
  void options(const ChosenOptions& o) { o.write(*this); }
  void options_section(const char* key, const AnyOptions& o, const char*) {
    e_ << YAML::Key << key << YAML::Value << YAML::BeginMap;
    OptionsVisitorOf<ConfigWriter> a(*this);
    o.visit(a);
    e_ << YAML::EndMap;
  }
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
    if constexpr (std::is_enum_v<T>) {
      std::string name = name_of(value);
      field(key, name, doc, choice_rule(value, rule));
    } else {
      rows_.push_back({prefix_ + key, config_type_name<T>(), default_text(value), allowed(rule), doc});
    }
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
  void options(const ChosenOptions&) {}
  // Library structs chosen at run time are listed in their own tables, too.
  void options_section(const char* key, const AnyOptions&, const char* doc) {
    rows_.push_back({prefix_ + key, "map of numbers or names", "(empty)", "", doc});
  }
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
