// The counter-based generator: Philox known answers, distribution moments,
// reproducibility, save/restore, derived streams and batch-independent rows.
#include <catch2/catch.hpp>

#include <cmath>

#include "genlab/core/backend.h"
#include "genlab/core/distributed/communicator.h"
#include "genlab/core/ops.h"
#include "genlab/core/parallel.h"
#include "genlab/core/philox.h"
#include "genlab/core/rng.h"
#include "tests/core/device_under_test.h"

using namespace genlab;

TEST_CASE("Philox 4x32-10 reproduces Random123's known-answer vectors", "[rng]") {
  // Random123 tests/kat_vectors, the three "philox4x32 10" lines: counter, key -> output.
  CHECK(philox4x32_10({0, 0, 0, 0}, {0, 0}) == PhiloxBlock{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8});
  CHECK(philox4x32_10({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff}) ==
        PhiloxBlock{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd});
  CHECK(philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}) ==
        PhiloxBlock{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1});
}

namespace {
struct Moments {
  double mean = 0, var = 0, min = 1e30, max = -1e30;
};
Moments moments(const Tensor& t) {
  Moments m;
  const auto v = t.to_vector();
  for (float x : v) m.mean += x, m.min = std::min<double>(m.min, x), m.max = std::max<double>(m.max, x);
  m.mean /= v.size();
  for (float x : v) m.var += (x - m.mean) * (x - m.mean);
  m.var /= v.size() - 1;
  return m;
}
}  // namespace

TEST_CASE("distributions have the right moments", "[rng]") {
  Generator g(7);
  const int n = 400000;  // standard error of a mean ~ sd / 632
  const Moments u = moments(g.uniform({n}));
  CHECK(u.mean == Approx(0.5).margin(0.003));
  CHECK(u.var == Approx(1.0 / 12).margin(0.002));
  CHECK(u.min > 0.0);
  CHECK(u.max < 1.0);
  const Moments z = moments(g.normal({n}, 2.0f, 3.0f));
  CHECK(z.mean == Approx(2.0).margin(0.02));
  CHECK(z.var == Approx(9.0).margin(0.1));
  const Tensor zs = g.normal({n});
  CHECK(mean(pow(zs, 4.0f)).item() == Approx(3.0).margin(0.06));  // kurtosis of N(0,1)
  const Moments r = moments(g.rademacher({n}));
  CHECK(r.mean == Approx(0.0).margin(0.006));
  CHECK(r.min == -1.0);
  CHECK(r.max == 1.0);
  CHECK(mean(abs(g.rademacher({1000}))).item() == 1.0f);
  const Moments gu = moments(g.gumbel({n}));
  CHECK(gu.mean == Approx(0.5772156649).margin(0.01));   // Euler-Mascheroni
  CHECK(gu.var == Approx(M_PI * M_PI / 6).margin(0.03));
  const Tensor p = Tensor::full({n}, 0.3f);
  CHECK(mean(g.bernoulli(p)).item() == Approx(0.3).margin(0.003));
}

TEST_CASE("categorical frequencies match the probabilities", "[rng]") {
  Generator g(3);
  const int n = 200000;
  const std::vector<float> probs = {0.1f, 0.0f, 0.6f, 0.3f};
  std::vector<float> rows;
  for (int i = 0; i < n; ++i) rows.insert(rows.end(), probs.begin(), probs.end());
  const Tensor drawn = g.categorical(Tensor::from_vector(rows, {n, 4}));
  CHECK(drawn.is_index());
  const auto draws = drawn.to_vector();
  std::vector<double> count(4, 0);
  for (float d : draws) count[static_cast<int>(d)] += 1;
  double chi2 = 0;
  for (int k = 0; k < 4; ++k)
    if (probs[k] > 0) chi2 += std::pow(count[k] - n * probs[k], 2) / (n * probs[k]);
  CHECK(count[1] == 0);
  CHECK(chi2 < 13.8);  // chi-square, 2 degrees of freedom, p = 0.001
}

TEST_CASE("same seed and state give the same numbers, and save and restore resume exactly", "[rng]") {
  Generator a(42), b(42), c(43);
  CHECK(a.normal({100}).to_vector() == b.normal({100}).to_vector());
  CHECK(a.normal({100}).to_vector() != c.normal({100}).to_vector());
  const GeneratorState saved = a.state();
  const auto next = a.uniform({37}).to_vector();
  Generator restored = Generator::from_state(saved);
  CHECK(restored.uniform({37}).to_vector() == next);
  CHECK(restored.state() == a.state());
  // Drawing 5 then 3 consumes whole blocks: the counter advances by ceil(n / 4).
  Generator d(1);
  d.uniform({5});
  CHECK(d.state().counter == 2);
}

TEST_CASE("derived streams are reproducible and distinct", "[rng]") {
  Generator root(5);
  CHECK(root.derive("data").normal({50}).to_vector() == root.derive("data").normal({50}).to_vector());
  CHECK(root.derive("data").normal({50}).to_vector() != root.derive("init").normal({50}).to_vector());
  CHECK(root.derive(0).normal({50}).to_vector() != root.derive(1).normal({50}).to_vector());
  // Correlation between two derived streams is ~0.
  const Tensor x = root.derive(10).normal({100000}), y = root.derive(11).normal({100000});
  CHECK(std::fabs(mean(x * y).item()) < 0.015);
}

TEST_CASE("row-addressed draws do not depend on the batch they come in", "[rng]") {
  const Generator g = Generator(9).derive("noise");
  const Tensor all = g.normal_rows({10, 3}, 0);
  const Tensor part = g.normal_rows({4, 3}, 5);
  CHECK(part.to_vector() == slice(all, 0, 5, 9).to_vector());
  CHECK(g.rademacher_rows({2, 7}, 3).to_vector() == slice(g.rademacher_rows({6, 7}, 0), 0, 3, 5).to_vector());
}

TEST_CASE("random numbers do not depend on the thread count", "[rng]") {
  const int threads = num_threads();
  set_num_threads(1);
  const auto one = Generator(11).normal({300001}).to_vector();
  set_num_threads(std::max(2, threads));
  const auto many = Generator(11).normal({300001}).to_vector();
  set_num_threads(threads);
  CHECK(one == many);
}

TEST_CASE("uniforms lie in the open interval (0, 1) at both ends of the 32-bit range", "[rng]") {
  // The largest word used to round to exactly 1, so log(-log u) (a Gumbel draw) was +inf.
  CHECK(uint_to_open_unit(0xffffffffu) < 1.0f);
  CHECK(uint_to_open_unit(0xffffff00u) < 1.0f);
  CHECK(uint_to_open_unit(0u) > 0.0f);
  CHECK(std::isfinite(-std::log(-std::log(uint_to_open_unit(0xffffffffu)))));
  CHECK(std::isfinite(-std::log(-std::log(uint_to_open_unit(0u)))));
  // Below the top the mapping is unchanged: (x >> 8) + 0.5 over 2^24.
  CHECK(uint_to_open_unit(0x80000000u) == 0.5f + 0.5f / 16777216.0f);
}

TEST_CASE("a batch shard draws this rank's rows of the global batch's draw", "[rng][distributed]") {
  // Global batch of 7 rows over 2 ranks: rows [0, 4) and [4, 7) (row_share).
  CHECK(row_share(7, 0, 2).first == 0);
  CHECK(row_share(7, 0, 2).count == 4);
  CHECK(row_share(7, 1, 2).first == 4);
  CHECK(row_share(7, 1, 2).count == 3);
  CHECK(row_share(2, 2, 3).count == 0);
  Generator whole(5);
  const auto normal = whole.normal({7, 3}).to_vector();
  const auto gumbel = whole.gumbel({14, 2}).to_vector();  // 2 rows per example, batch-major
  const Tensor probs = Tensor::full({7, 4}, 0.25f);
  const auto picks = whole.categorical(probs).to_index_vector();
  for (int rank = 0; rank < 2; ++rank) {
    const RowShare share = row_share(7, rank, 2);
    Generator g(5);
    g.set_batch_shard({share.first, share.count, 7});
    const auto n = g.normal({share.count, 3}).to_vector();
    CHECK(n == std::vector<float>(normal.begin() + 3 * share.first,
                                  normal.begin() + 3 * (share.first + share.count)));
    const auto gu = g.gumbel({2 * share.count, 2}).to_vector();
    CHECK(gu == std::vector<float>(gumbel.begin() + 4 * share.first,
                                   gumbel.begin() + 4 * (share.first + share.count)));
    const auto p = g.categorical(Tensor::full({share.count, 4}, 0.25f)).to_index_vector();
    CHECK(p == std::vector<int32_t>(picks.begin() + share.first, picks.begin() + share.first + share.count));
    CHECK(g.state() == whole.state());  // the stream moves as in one process
    // A draw that is not batch-major cannot be shared out: an error, never a silent mix.
    CHECK_THROWS_WITH(g.normal({5}), Catch::Matchers::Contains("batch-major"));
    g.set_batch_shard({});
    CHECK_NOTHROW(g.normal({5}));
  }
}

namespace {
// Distance in units in the last place of float between a float and a double reference.
double ulps(float got, double want) {
  const double ulp = std::ldexp(1.0, std::ilogb(static_cast<float>(want)) - 23);
  return std::abs(static_cast<double>(got) - want) / ulp;
}
}  // namespace

TEST_CASE("the device-portable log and cos/sin behind Box-Muller are within 2 ulp", "[rng]") {
  // Every 2^24 uniform the generator can produce (x >> 8), stepping by 61 through them,
  // plus both ends: the normals' accuracy rests on these two functions, which replace
  // glibc's so that the CPU and the GPU draw the same bits.
  double worst_log = 0, worst_cos = 0, worst_sin = 0, worst_abs = 0;
  for (uint32_t top = 0; top < (1u << 24); top += (top < 4096 || top > (1u << 24) - 4096) ? 1 : 61) {
    const float u = uint_to_open_unit(top << 8);
    worst_log = std::max(worst_log, ulps(portable::log(u), std::log(static_cast<double>(u))));
    float c, s;
    portable::cos_sin_turns(u, c, s);
    const double angle = 2 * M_PI * static_cast<double>(u);
    const double want_c = std::cos(angle), want_s = std::sin(angle);
    // Near a zero the argument's own rounding (2 pi u in float) sets an absolute floor.
    if (std::abs(want_c) > 0.25) worst_cos = std::max(worst_cos, ulps(c, want_c));
    if (std::abs(want_s) > 0.25) worst_sin = std::max(worst_sin, ulps(s, want_s));
    worst_abs = std::max({worst_abs, std::abs(c - want_c), std::abs(s - want_s)});
  }
  INFO("log " << worst_log << " ulp, cos " << worst_cos << " ulp, sin " << worst_sin
              << " ulp, absolute " << worst_abs);
  CHECK(worst_log <= 2.0);
  CHECK(worst_cos <= 2.0);
  CHECK(worst_sin <= 2.0);
  CHECK(worst_abs <= 1.2e-7);
  // A control: glibc's float log differs from the portable one somewhere in this range,
  // which is why the portable one exists (else the CPU and GPU could share logf).
  bool differs = false;
  for (uint32_t top = 1; top < (1u << 24) && !differs; top += 97) {
    const float u = uint_to_open_unit(top << 8);
    differs = portable::log(u) != std::log(u);
  }
  CHECK(differs);
}

TEST_CASE("a stream draws the same bits on the CUDA device as on the CPU", "[rng][device]") {
  const auto cuda = genlab::testing::cuda_under_test();
  if (!cuda.available) {
    WARN("3 distributions skipped on cuda: " << cuda.why_not);
    return;
  }
  // Odd row lengths leave partial Philox blocks at each row's end; a counter near 2^64
  // checks the carry into the third counter word on both sides.
  const Shape shape{37, 13};
  for (uint64_t seed : {uint64_t{1}, uint64_t{0xdeadbeefcafe}}) {
    Generator a(seed), b(seed);
    CHECK(a.normal(shape, 0.0f, 1.0f, Device::cpu).to_vector() ==
          b.normal(shape, 0.0f, 1.0f, Device::cuda).to_vector());
    CHECK(a.uniform(shape, 0.0f, 1.0f, Device::cpu).to_vector() ==
          b.uniform(shape, 0.0f, 1.0f, Device::cuda).to_vector());
    CHECK(a.rademacher(shape, Device::cpu).to_vector() ==
          b.rademacher(shape, Device::cuda).to_vector());
  }
  std::vector<float> host(4 * 1001);
  Tensor on_device = Tensor::empty({4 * 1001}, Device::cuda);
  const uint64_t near_wrap = ~uint64_t{0} - 500;
  backend(Device::cpu).random(RandomDist::normal, 99, near_wrap, host.data(), 4 * 1001, 4 * 1001);
  backend(Device::cuda).random(RandomDist::normal, 99, near_wrap, on_device.data(), 4 * 1001, 4 * 1001);
  CHECK(on_device.to_vector() == host);
}
