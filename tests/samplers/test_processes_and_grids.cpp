// Processes (sigma, s, derivatives, inverse) and time grids (each kind's formula, its
// ends, and any grid on any process).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>

#include "genlab/samplers/process.h"
#include "genlab/samplers/time_grid.h"

using namespace genlab;

TEST_CASE("processes: sigma and t invert each other, derivatives match differences", "[samplers]") {
  for (const char* name : {"vp", "ve", "edm", "flow"}) {
    INFO(name);
    const auto p = make_process(name);
    for (double sig : {0.01, 0.3, 2.0, 40.0})
      CHECK(p->sigma(p->t_of_sigma(sig)) == Approx(sig).epsilon(1e-9));
    const double t = p->t_of_sigma(0.7), h = 1e-6;
    CHECK(p->sigma_deriv(t) == Approx((p->sigma(t + h) - p->sigma(t - h)) / (2 * h)).epsilon(1e-5));
    CHECK(p->s_deriv(t) ==
          Approx((p->s(t + h) - p->s(t - h)) / (2 * h)).epsilon(1e-5).margin(1e-9));
  }
  CHECK(make_vp()->sigma(1.0) == Approx(std::sqrt(std::exp(0.5 * 19.9 + 0.1) - 1)));
  CHECK(make_vp()->s(1.0) == Approx(1.0 / std::sqrt(std::exp(0.5 * 19.9 + 0.1))));
  CHECK(make_flow()->s(0.25) == 0.75);
  CHECK(make_flow()->sigma(0.25) == Approx(1.0 / 3.0));
  CHECK(make_ve()->sigma(4.0) == 2.0);
  // Every parameter is settable.
  CHECK(make_vp({.beta_d = 10, .beta_min = 1})->sigma(1.0) == Approx(std::sqrt(std::exp(6.0) - 1)));
  CHECK(make_edm({.sigma_min = 0.01, .sigma_max = 10})->sigma_max() == 10.0);
  CHECK_THROWS_WITH(make_process("ddpm"), Catch::Matchers::Contains("vp, ve, edm, flow"));
}

TEST_CASE("EDM grid: rho schedule from sigma_max to sigma_min, then 0", "[samplers]") {
  const auto p = make_edm();
  const auto t = karras_times(*p, 18);
  REQUIRE(t.size() == 19);
  CHECK(t.front() == Approx(80.0));
  CHECK(t[17] == Approx(0.002));
  CHECK(t.back() == 0.0);
  // docs/MATH.md: sigma_i = (smax^(1/rho) + i/(N-1) (smin^(1/rho) - smax^(1/rho)))^rho.
  const double a = std::pow(80.0, 1 / 7.0), b = std::pow(0.002, 1 / 7.0);
  CHECK(t[5] == Approx(std::pow(a + 5.0 / 17 * (b - a), 7.0)));
}

TEST_CASE("time grids follow their formulas and map into each process's time", "[samplers]") {
  const auto edm = make_edm({.sigma_min = 0.01, .sigma_max = 50});
  SECTION("vp: linear in VP time") {
    const auto vp = make_vp();
    const auto t = make_time_grid(*vp, {.kind = "vp", .steps = 10});
    REQUIRE(t.size() == 11);
    CHECK(t[0] == Approx(1.0));
    CHECK(t[9] == Approx(1e-3));
    for (int i = 0; i < 9; ++i) CHECK(t[i + 1] - t[i] == Approx((1e-3 - 1.0) / 9));
    CHECK(t[10] == 0.0);
  }
  SECTION("ve: geometric sigma^2, the same points as uniform log sigma") {
    const auto t = make_time_grid(*edm, {.kind = "ve", .steps = 6});
    for (int i = 0; i < 6; ++i)
      CHECK(t[i] * t[i] == Approx(50.0 * 50.0 * std::pow(0.01 * 0.01 / (50.0 * 50.0), i / 5.0)));
    const auto u = make_time_grid(*edm, {.kind = "log_sigma", .steps = 6});
    for (int i = 0; i < 7; ++i) CHECK(u[i] == Approx(t[i]));
  }
  SECTION("flow: uniform in t down to 0, with SD3's shift") {
    const auto flow = make_flow();
    const auto t = make_time_grid(*flow, {.kind = "flow", .steps = 4});
    REQUIRE(t.size() == 5);
    const double t0 = flow->t_of_sigma(flow->sigma_max());
    for (int i = 0; i <= 4; ++i) CHECK(t[i] == Approx(t0 * (1 - i / 4.0)).margin(1e-12));
    const auto s = make_time_grid(*flow, {.kind = "flow", .steps = 4, .shift = 3.0});
    const double u = t0 * 0.5;
    CHECK(s[2] == Approx(3 * u / (1 + 2 * u)));
    CHECK(s[2] > t[2]);  // a shift > 1 spends more steps at high noise
  }
  SECTION("every grid on every process: decreasing, from sigma_max to sigma = 0") {
    for (const char* process : {"vp", "ve", "edm", "flow"})
      for (const auto& kind : time_grid_kinds()) {
        INFO(process << " " << kind);
        const auto p = make_process(process);
        const auto t = make_time_grid(*p, {.kind = kind, .steps = 12});
        CHECK(t.size() == 13);
        CHECK(std::is_sorted(t.rbegin(), t.rend()));
        CHECK(p->sigma(t.front()) == Approx(p->sigma_max()));
        CHECK(p->sigma(t.back()) == 0.0);
      }
  }
  CHECK_THROWS_WITH(make_time_grid(*edm, {.kind = "cosine"}),
                    Catch::Matchers::Contains("edm, vp, ve, flow, log_sigma"));
  CHECK_THROWS(make_time_grid(*edm, {.steps = 0}));
}
