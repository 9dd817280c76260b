// Reading a YAML config into typed options with errors that say where: every error names
// the file, line:column and the dotted key path (or the command-line override that set
// the value). Unknown keys are errors with a did-you-mean; nothing is silently ignored.
//
//   YamlSource src = YamlSource::load("configs/quickstart.yaml", {"train.steps=200"});
//   Section root = src.root();
//   Section train = root.section("train");
//   int64_t steps = train.get<int64_t>("steps", 2000);
//   train.finish();                          // errors on keys nobody read
#pragma once

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace genlab {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The parsed document plus where each override came from.
class YamlSource {
 public:
  // Parses `path`, then applies dotted overrides "a.b.c=value" (values typed by YAML's
  // rules). Errors name the file and line, or the override.
  static YamlSource load(const std::string& path, const std::vector<std::string>& overrides = {});
  static YamlSource parse(const std::string& text, const std::string& name,
                          const std::vector<std::string>& overrides = {});

  // A document genlab built (a variant from command-line settings): it has no text, so
  // errors give the name and key path alone.
  static YamlSource from_node(YAML::Node root, const std::string& name);

  class Section root() const;
  // "file:line:col: path: message", or "override 'x=y': path: message". An error at a
  // path no override set, in a config some override changed, ends "(command line: x=y)"
  // from append_overrides(): the override may be what made the file's value wrong.
  std::string where(const YAML::Node& node, const std::string& path) const;
  std::string append_overrides(const std::string& message) const;
  // Whether a command-line override set this dotted path (or a section above it).
  bool overridden(const std::string& path) const;
  // What reading decided for the user without an error ("train.steps=300 replaces the
  // file's train.epochs"): collected while reading, printed by the caller.
  void note(const std::string& text) const { notes_.push_back(text); }
  const std::vector<std::string>& notes() const { return notes_; }

 private:
  std::string file_;
  YAML::Node root_;
  std::map<std::string, std::string> overrides_;  // dotted path -> "path=value" text
  mutable std::vector<std::string> notes_;
  bool positions_ = true;
};

class Section {
 public:
  Section(const YamlSource* src, YAML::Node node, std::string path);

  bool has(const std::string& key) const;
  // Whether the key's value came from a command-line override.
  bool overridden(const std::string& key) const { return src_->overridden(path_of(key)); }
  void note(const std::string& text) const { src_->note(text); }
  // Optional key: its value, or `fallback` when absent.
  template <class T>
  T get(const std::string& key, const T& fallback);
  template <class T>
  T require(const std::string& key);
  // One of `allowed` (the error lists them).
  std::string choice(const std::string& key, const std::string& fallback,
                     const std::vector<std::string>& allowed);
  // Range checks on numbers already read: throw naming the key.
  void check(bool ok, const std::string& key, const std::string& what) const;
  // A sub-mapping (empty when absent); the caller must finish() it.
  Section section(const std::string& key);
  // A sequence of mappings.
  std::vector<Section> list(const std::string& key);
  // Before list(key): an item with `each: [a, b, ...]` stands for one item per name, the
  // name as its `into` key, crossed with every key of `cross` it gives as a list
  // ({each: [heun, unipc], nfe: [10, 20]}: four items). Its other keys go to every copy.
  void expand_each(const std::string& key, const std::string& into, const std::vector<std::string>& cross);
  // A list of integers (empty when absent), e.g. hidden: [500, 500].
  std::vector<int64_t> int_list(const std::string& key);
  // A list of numbers (finite), and a list of such lists (a matrix, rows of equal length).
  std::vector<double> number_list(const std::string& key);
  std::vector<std::vector<double>> number_matrix(const std::string& key);
  std::vector<std::vector<std::vector<double>>> number_matrices(const std::string& key);
  // Counts the key as known without reading it (an absent optional list).
  // Once per key, however often the schema reads it (the family key is read by the
  // section and again by the family's own fields), so the "known keys" list has no repeats.
  void mark_read(const std::string& key) {
    if (std::find(read_.begin(), read_.end(), key) == read_.end()) read_.push_back(key);
  }
  // A list of names, each one of `allowed` (any text when `allowed` is empty; empty when
  // the key is absent).
  std::vector<std::string> choice_list(const std::string& key,
                                       const std::vector<std::string>& allowed);
  // A mapping of scalar numbers (free-form options such as a sampler's).
  // A map of scalars (numbers or names) as their text.
  std::map<std::string, std::string> scalar_map(const std::string& key);
  // Every key present must have been read.
  void finish() const;

  std::string path_of(const std::string& key) const {
    return path_.empty() ? key : path_ + "." + key;
  }
  [[noreturn]] void fail(const std::string& key, const std::string& message) const;

 private:
  YAML::Node child(const std::string& key) const;
  std::vector<double> numbers_of(const YAML::Node& list, const std::string& path) const;
  const YamlSource* src_;
  YAML::Node node_;
  std::string path_;
  std::vector<std::string> read_;
};

// "key=cap" as an override when the value is above it (or is 0 and 0 means "all"), else
// nothing: what the data sets' and families' quick forms (`--smoke`, smoke.h) are made of.
void cap_override(std::vector<std::string>& out, const std::string& key, int64_t value, int64_t cap,
                  bool zero_means_all = false);

// The closest of `candidates` to `word` by edit distance, or "" when none is close.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace genlab
