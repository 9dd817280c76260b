#include "genlab/experiments/config/schema.h"

#include <algorithm>
#include <sstream>

namespace genlab {
template <class T>
void ConfigReader::field_value(const char* key, T& value, const char*, const Rule& rule) {
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
    if (!rule.admits(x)) s_.fail(key, "must be " + rule.must_be());
  } else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
    if (!s_.has(key)) return s_.mark_read(key);
    value = s_.int_list(key);
    for (int64_t x : value)
      if (!rule.admits(static_cast<double>(x))) s_.fail(key, "entries must be " + rule.must_be());
  } else if constexpr (std::is_same_v<T, std::vector<double>>) {
    if (!s_.has(key)) return s_.mark_read(key);
    value = s_.number_list(key);
    for (double x : value)
      if (!rule.admits(x)) s_.fail(key, "entries must be " + rule.must_be());
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

template void ConfigReader::field_value(const char*, std::string&, const char*, const Rule&);
template void ConfigReader::field_value(const char*, bool&, const char*, const Rule&);
template void ConfigReader::field_value(const char*, int&, const char*, const Rule&);
template void ConfigReader::field_value(const char*, int64_t&, const char*, const Rule&);
template void ConfigReader::field_value(const char*, uint64_t&, const char*, const Rule&);
template void ConfigReader::field_value(const char*, double&, const char*, const Rule&);
template void ConfigReader::field_value(const char*, float&, const char*, const Rule&);
template void ConfigReader::field_value(const char*, std::vector<int64_t>&, const char*, const Rule&);
template void ConfigReader::field_value(const char*, std::vector<double>&, const char*, const Rule&);
template void ConfigReader::field_value(const char*, std::vector<std::vector<double>>&, const char*,
                                  const Rule&);
template void ConfigReader::field_value(const char*, std::vector<std::vector<std::vector<double>>>&,
                                  const char*, const Rule&);
template void ConfigReader::field_value(const char*, std::vector<std::string>&, const char*, const Rule&);
template void ConfigReader::field_value(const char*, std::map<std::string, std::string>&, const char*,
                                  const Rule&);

}  // namespace genlab
