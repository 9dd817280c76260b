// The yaml-free options protocol (genlab/core/options.h): one fields() declaration read from
// texts, checked, listed and written back, with enum choices by name.
#include <catch2/catch.hpp>

#include "genlab/core/options.h"

using namespace genlab;

namespace {

enum class Shape { round, square };
const std::vector<std::string>& names_of(Shape) {
  static const std::vector<std::string> names{"round", "square"};
  return names;
}

struct Toy {
  double rate = 0.5;
  int count = 3;
  int64_t limit = 1000;
  bool loud = false;
  std::string label = "a";
  Shape shape = Shape::square;
};
template <class V>
void fields(V& v, Toy& t) {
  v.field("rate", t.rate, "a rate", between(0, 1, "(]"));
  v.field("count", t.count, "a count", between(1, 10));
  v.field("limit", t.limit, "a limit", at_least(1));
  v.field("loud", t.loud, "a switch");
  v.field("label", t.label, "a label", one_of({"a", "b"}));
  v.field("shape", t.shape, "a choice");
  v.check(t.count <= t.limit, "count", "needs count <= limit");
}

}  // namespace

TEST_CASE("options: texts in, checked, listed and written back by name", "[core][options]") {
  AnyOptions o = AnyOptions::of<Toy>();
  const auto keys = option_keys(o);
  REQUIRE(keys.size() == 6);
  CHECK(keys[0].key == "rate");
  CHECK(keys[0].allowed == "(0, 1]");
  CHECK(keys[1].type == "integer");
  CHECK(keys[3].type == "bool");
  CHECK(keys[5].value == "square");
  CHECK(keys[5].names == std::vector<std::string>{"round", "square"});

  set_options(o, {{"rate", 0.25}, {"count", 7}, {"loud", "true"}, {"label", "b"}, {"shape", "round"}}, "toy");
  const Toy& t = o.as<Toy>();
  CHECK(t.rate == 0.25);
  CHECK(t.count == 7);
  CHECK(t.loud);
  CHECK(t.label == "b");
  CHECK(t.shape == Shape::round);
  // Written back, the texts read into a fresh struct give the same struct.
  AnyOptions again = AnyOptions::of<Toy>();
  OptionValues texts;
  for (const auto& [k, v] : option_values(o)) texts.emplace(k, v);
  set_options(again, texts, "toy");
  CHECK(option_values(again) == option_values(o));
  // A copy is its own struct.
  AnyOptions copy = o;
  copy.as<Toy>().count = 9;
  CHECK(o.as<Toy>().count == 7);
  CHECK(copy.same_kind(o));
  CHECK_FALSE(copy.same_kind(AnyOptions()));
}

TEST_CASE("options: every bad text is an error naming the owner and the key", "[core][options]") {
  auto error = [](const OptionValues& v) {
    AnyOptions o = AnyOptions::of<Toy>();
    try {
      set_options(o, v, "toy 'x'");
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  using Catch::Matchers::Contains;
  CHECK_THAT(error({{"rat", 0.5}}), Contains("toy 'x' has no option 'rat' (allowed: rate, count, limit, loud"));
  CHECK_THAT(error({{"rate", 0}}), Contains("toy 'x': option 'rate' must be in (0, 1], not 0"));
  CHECK_THAT(error({{"rate", "fast"}}), Contains("option 'rate' must be a number, not 'fast'"));
  CHECK_THAT(error({{"rate", "nan"}}), Contains("option 'rate' must be a number"));
  CHECK_THAT(error({{"count", 2.5}}), Contains("option 'count' must be a whole number"));
  CHECK_THAT(error({{"count", 11}}), Contains("option 'count' must be in [1, 10]"));
  CHECK_THAT(error({{"limit", 1e30}}), Contains("option 'limit' must be a whole number"));
  CHECK_THAT(error({{"loud", "maybe"}}), Contains("option 'loud' must be true or false"));
  CHECK_THAT(error({{"label", "c"}}), Contains("option 'label' must be one of a, b, not 'c'"));
  CHECK_THAT(error({{"shape", 1}}), Contains("option 'shape' must be one of round, square, not '1'"));
  CHECK_THAT(error({{"count", 5}, {"limit", 4}}), Contains("toy 'x': needs count <= limit"));
  CHECK(error({{"loud", 1}, {"limit", 10}}) == "no error");
  // check_options: the same rules on a struct built in code.
  AnyOptions o = AnyOptions::of<Toy>({.rate = 2.0});
  CHECK_THROWS_WITH(check_options(o, "toy"), Contains("toy: option 'rate' must be in (0, 1], not 2"));
  CHECK_NOTHROW(check_options(AnyOptions::of<Toy>(), "toy"));
}
