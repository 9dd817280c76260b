// The options protocol, without YAML: a library options struct declares its keys once,
// beside itself, and every reader and writer goes through that one declaration.
//
//   struct PcOptions { double snr = 0.16; int corrector_steps = 1; };
//   template <class V> void fields(V& v, PcOptions& o) {
//     v.field("snr", o.snr, "signal-to-noise ratio of the corrector", above(0));
//     v.field("corrector_steps", o.corrector_steps, "Langevin steps per level", between(0, 1000));
//   }
//
// The YAML visitors (experiments/config/schema.h: located errors, the resolved config, the
// key reference) and the text ones here (set_options, option_values, check_options) all
// call it. A choice is an `enum class` with a name table found by ADL,
// `const std::vector<std::string>& names_of(E)`, value k named names_of(E{})[k]; visitors
// read and write it by name. AnyOptions holds a struct chosen at run time (a sampler's
// options) and visits it through OptionsVisitor.
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <vector>

namespace genlab {

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
  std::string must_be() const;   // "in [0, 1) (0: off)": what an error says a number must be
};

Rule at_least(double lo);
Rule above(double lo);
// brackets: "[]", "[)", "(]" or "()" for closed and open ends.
Rule between(double lo, double hi, const char* brackets = "[]");
Rule one_of(const std::vector<std::string>& names);
Rule non_empty();

// Choices: the name of an enum value, and the value of a name (std::invalid_argument
// listing the names otherwise).
template <class E>
std::string name_of(E e) {
  return names_of(e).at(static_cast<size_t>(e));
}
std::string joined_names(const std::vector<std::string>& names, const char* sep = ", ");
template <class E>
E value_of(const std::string& name) {
  const auto& names = names_of(E{});
  for (size_t k = 0; k < names.size(); ++k)
    if (names[k] == name) return static_cast<E>(k);
  throw std::invalid_argument("must be one of " + joined_names(names) + ", not '" + name + "'");
}

// The rule of a choice: its names, with the note of `rule`.
template <class E>
Rule choice_rule(E e, const Rule& rule = {}) {
  Rule r = one_of(names_of(e));
  r.note = rule.note;
  return r;
}

template <class T>
std::string config_type_name() {
  if constexpr (std::is_same_v<T, bool>) return "bool";
  if constexpr (std::is_same_v<T, std::string> || std::is_enum_v<T>) return "string";
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

// A visitor reached at run time, for the structs AnyOptions holds. fields() written as a
// template serves it and the YAML visitors alike; an enum field goes by its name.
class OptionsVisitor {
 public:
  virtual ~OptionsVisitor() = default;
  virtual void field(const char* key, double& value, const char* doc, const Rule& rule) = 0;
  virtual void field(const char* key, int& value, const char* doc, const Rule& rule) = 0;
  virtual void field(const char* key, int64_t& value, const char* doc, const Rule& rule) = 0;
  virtual void field(const char* key, bool& value, const char* doc, const Rule& rule) = 0;
  virtual void field(const char* key, std::string& value, const char* doc, const Rule& rule) = 0;
  virtual void check(bool ok, const char* key, const std::string& message) = 0;

  template <class T, std::enable_if_t<!std::is_enum_v<T>, int> = 0>
  void field(const char* key, T& value, const char* doc) {
    field(key, value, doc, Rule{});
  }
  template <class E, std::enable_if_t<std::is_enum_v<E>, int> = 0>
  void field(const char* key, E& value, const char* doc, const Rule& rule = {}) {
    std::string name = name_of(value);
    field(key, name, doc, choice_rule(value, rule));
    value = value_of<E>(name);  // the visitor kept it one of the names
  }
};

// A copyable value whose type is chosen at run time, behind an interface: `Interface`
// is the abstract base (with `std::unique_ptr<Interface> clone() const`), `Model<T>` its
// implementation holding `T value`. AnyOptions here and ChosenOptions on the YAML side
// (experiments/config/schema.h) are the two.
template <class Self, class Interface, template <class> class Model>
class ErasedValue {
 public:
  template <class T>
  static Self of(T value = T{}) {
    Self s;
    static_cast<ErasedValue&>(s).p_ = std::make_unique<Model<T>>(std::move(value));
    return s;
  }
  ErasedValue() = default;
  ErasedValue(const ErasedValue& o) : p_(o.p_ ? o.p_->clone() : nullptr) {}
  ErasedValue& operator=(const ErasedValue& o) {
    p_ = o.p_ ? o.p_->clone() : nullptr;
    return *this;
  }
  ErasedValue(ErasedValue&&) = default;
  ErasedValue& operator=(ErasedValue&&) = default;

  bool empty() const { return !p_; }
  template <class T>
  const T& as() const {
    const auto* m = dynamic_cast<const Model<T>*>(p_.get());
    if (!m) throw std::logic_error(std::string("options are not a ") + typeid(T).name());
    return m->value;
  }
  template <class T>
  T& as() {
    return const_cast<T&>(static_cast<const ErasedValue&>(*this).as<T>());
  }
  template <class T>
  bool holds() const {
    return dynamic_cast<const Model<T>*>(p_.get()) != nullptr;
  }
  // Whether both hold the same type.
  bool same_kind(const ErasedValue& o) const { return p_ && o.p_ && typeid(*p_) == typeid(*o.p_); }

 protected:
  std::unique_ptr<Interface> p_;
};

namespace options_detail {
struct Visitable {
  virtual ~Visitable() = default;
  virtual void visit(OptionsVisitor&) = 0;
  virtual std::unique_ptr<Visitable> clone() const = 0;
};
template <class T>
struct VisitableModel final : Visitable {
  explicit VisitableModel(T v) : value(std::move(v)) {}
  void visit(OptionsVisitor& v) override { fields(v, value); }
  std::unique_ptr<Visitable> clone() const override { return std::make_unique<VisitableModel<T>>(value); }
  T value;
};
}  // namespace options_detail

// An options struct picked at run time (by a sampler's name), copyable, visited by its
// fields().
class AnyOptions
    : public ErasedValue<AnyOptions, options_detail::Visitable, options_detail::VisitableModel> {
 public:
  // Visits the struct (a writer changes nothing, so a const holder lends a copy).
  void visit(OptionsVisitor& v) {
    if (p_) p_->visit(v);
  }
  void visit(OptionsVisitor& v) const {
    AnyOptions copy = *this;
    copy.visit(v);
  }
};

// A value given in code or on a command line: a number or a name, kept as its text.
struct OptionValue {
  std::string text;
  OptionValue() = default;
  OptionValue(double v);  // NOLINT: {{"eta", 0.5}} reads as code should
  OptionValue(int v) : OptionValue(static_cast<double>(v)) {}
  OptionValue(const char* s) : text(s) {}
  OptionValue(std::string s) : text(std::move(s)) {}
};
using OptionValues = std::map<std::string, OptionValue>;

// Sets the named keys from their texts, each parsed as its field's type and checked
// against its rule, then the struct's checks. Errors (std::invalid_argument) start with
// `owner` ("sampler 'unipc'") and name the key; an unknown key lists the known ones.
void set_options(AnyOptions& o, const OptionValues& values, const std::string& owner);
// The struct's rules and checks at its current values (the same errors).
void check_options(const AnyOptions& o, const std::string& owner);

// One key of a struct: its text as set_options reads it ("0.5", "heun", "true").
struct OptionKey {
  std::string key, type, value, allowed, doc;
  std::vector<std::string> names;  // a choice's names (empty otherwise)
};
std::vector<OptionKey> option_keys(const AnyOptions& o);  // in declaration order
std::map<std::string, std::string> option_values(const AnyOptions& o);

}  // namespace genlab
