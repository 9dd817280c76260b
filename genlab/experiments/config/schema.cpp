#include "genlab/experiments/config/schema.h"

#include <algorithm>
#include <sstream>

namespace genlab {
namespace {

std::string number_text(double v) {
  std::ostringstream s;
  s.precision(15);
  s << v;
  return s.str();
}

std::string joined(const std::vector<std::string>& v, const char* sep) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

// "in [0, 1)", ">= 0 (0: off)": what a number must be.
std::string must_be(const Rule& r) {
  const std::string d = r.describe();
  const bool range = !d.empty() && (d[0] == '[' || d[0] == '(');
  return (range ? "in " : "") + d + (r.note.empty() ? "" : " (" + r.note + ")");
}

}  // namespace

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
  if (!names.empty()) return joined(names, " | ");
  if (non_empty) return "non-empty";
  const bool has_lo = std::isfinite(lo), has_hi = std::isfinite(hi);
  if (has_lo && has_hi)
    return std::string(lo_open ? "(" : "[") + number_text(lo) + ", " + number_text(hi) +
           (hi_open ? ")" : "]");
  if (has_lo) return (lo_open ? "> " : ">= ") + number_text(lo);
  if (has_hi) return (hi_open ? "< " : "<= ") + number_text(hi);
  return "";
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

template <class T>
void ConfigReader::field(const char* key, T& value, const char*, const Rule& rule) {
  if constexpr (std::is_same_v<T, std::string>) {
    value = s_.get<std::string>(key, value);
    for (const char ch : value)
      if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f)
        s_.fail(key, std::string("must not contain control characters") +
                         (ch == '\n' ? " (a line break: an unterminated quote?)" : ""));
    if (!rule.names.empty() && !(value.empty() && rule.auto_allowed))
      value = s_.choice(key, value, rule.names);
    if (!rule.admits(value)) s_.fail(key, "must be " + rule.describe());
  } else if constexpr (std::is_same_v<T, bool>) {
    value = s_.get<bool>(key, value);
  } else if constexpr (std::is_arithmetic_v<T>) {
    value = s_.get<T>(key, value);
    const double x = static_cast<double>(value);
    if (!std::isfinite(x)) s_.fail(key, "must be a finite number");
    if (!rule.admits(x)) s_.fail(key, "must be " + must_be(rule));
  } else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
    if (!s_.has(key)) return s_.mark_read(key);
    value = s_.int_list(key);
    for (int64_t x : value)
      if (!rule.admits(static_cast<double>(x))) s_.fail(key, "entries must be " + must_be(rule));
  } else if constexpr (std::is_same_v<T, std::vector<double>>) {
    if (!s_.has(key)) return s_.mark_read(key);
    value = s_.number_list(key);
    for (double x : value)
      if (!rule.admits(x)) s_.fail(key, "entries must be " + must_be(rule));
  } else if constexpr (std::is_same_v<T, std::vector<std::vector<double>>>) {
    if (!s_.has(key)) return s_.mark_read(key);
    value = s_.number_matrix(key);
  } else if constexpr (std::is_same_v<T, std::vector<std::vector<std::vector<double>>>>) {
    if (!s_.has(key)) return s_.mark_read(key);
    value = s_.number_matrices(key);
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    if (!s_.has(key)) return s_.mark_read(key);
    value = s_.choice_list(key, rule.names);
  } else if constexpr (std::is_same_v<T, std::map<std::string, std::string>>) {
    value = s_.scalar_map(key);
  } else {
    static_assert(sizeof(T) == 0, "no reader for this type");
  }
}

template void ConfigReader::field(const char*, std::string&, const char*, const Rule&);
template void ConfigReader::field(const char*, bool&, const char*, const Rule&);
template void ConfigReader::field(const char*, int&, const char*, const Rule&);
template void ConfigReader::field(const char*, int64_t&, const char*, const Rule&);
template void ConfigReader::field(const char*, uint64_t&, const char*, const Rule&);
template void ConfigReader::field(const char*, double&, const char*, const Rule&);
template void ConfigReader::field(const char*, float&, const char*, const Rule&);
template void ConfigReader::field(const char*, std::vector<int64_t>&, const char*, const Rule&);
template void ConfigReader::field(const char*, std::vector<double>&, const char*, const Rule&);
template void ConfigReader::field(const char*, std::vector<std::vector<double>>&, const char*,
                                  const Rule&);
template void ConfigReader::field(const char*, std::vector<std::vector<std::vector<double>>>&,
                                  const char*, const Rule&);
template void ConfigReader::field(const char*, std::vector<std::string>&, const char*, const Rule&);
template void ConfigReader::field(const char*, std::map<std::string, std::string>&, const char*,
                                  const Rule&);

}  // namespace genlab
