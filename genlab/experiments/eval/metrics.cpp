#include "genlab/experiments/eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "genlab/core/parallel.h"
#include "genlab/core/rng.h"

namespace genlab {
namespace {

struct Points {
  std::vector<double> v;
  int64_t n = 0, d = 0;
  const double* row(int64_t i) const { return v.data() + i * d; }
};

Points host(const Tensor& t) {
  if (t.dim() != 2)
    throw std::invalid_argument("metrics: samples must be [n, dims], got " + shape_str(t.shape()));
  const auto f = t.to_vector();
  return {std::vector<double>(f.begin(), f.end()), t.size(0), t.size(1)};
}

void check_pair(const Points& a, const Points& b, int64_t min_rows) {
  if (a.d != b.d)
    throw std::invalid_argument("metrics: sample sets differ in dimension (" + std::to_string(a.d) +
                                " vs " + std::to_string(b.d) + ")");
  if (a.n < min_rows || b.n < min_rows)
    throw std::invalid_argument("metrics: need at least " + std::to_string(min_rows) +
                                " samples per set");
}

double dist2(const double* x, const double* y, int64_t d) {
  double s = 0;
  for (int64_t k = 0; k < d; ++k) s += (x[k] - y[k]) * (x[k] - y[k]);
  return s;
}

// The median pairwise distance of the pooled sets, over at most 1000 points of each (1
// when that is 0).
double median_bandwidth(const Points& a, const Points& b) {
  std::vector<const double*> pool;
  for (int64_t i = 0; i < std::min<int64_t>(a.n, 1000); ++i) pool.push_back(a.row(i));
  for (int64_t i = 0; i < std::min<int64_t>(b.n, 1000); ++i) pool.push_back(b.row(i));
  std::vector<double> d;
  for (size_t i = 0; i < pool.size(); ++i)
    for (size_t j = i + 1; j < pool.size(); ++j) d.push_back(dist2(pool[i], pool[j], a.d));
  if (d.empty()) return 1.0;
  std::nth_element(d.begin(), d.begin() + d.size() / 2, d.end());
  const double h = std::sqrt(d[d.size() / 2]);
  return h > 0 ? h : 1.0;
}

// Sum over pairs (i in a, j in b, i != j when `same`) of fn(|a_i - b_j|^2), in parallel.
template <class Fn>
double pair_sum(const Points& a, const Points& b, bool same, Fn fn) {
  std::vector<double> partial(a.n, 0.0);
  parallel_for(a.n, b.n * a.d, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      double s = 0;
      for (int64_t j = 0; j < b.n; ++j)
        if (!same || i != j) s += fn(dist2(a.row(i), b.row(j), a.d));
      partial[i] = s;
    }
  });
  double total = 0;
  for (double p : partial) total += p;
  return total;
}

}  // namespace

// 1-D W2^2 between sorted samples, over the finer of the two quantile grids.
double w2_squared_sorted(const std::vector<double>& a, const std::vector<double>& b) {
  const size_t m = std::max(a.size(), b.size());
  double s = 0;
  for (size_t q = 0; q < m; ++q) {
    const double level = (q + 0.5) / m;
    const double x = a[std::min(a.size() - 1, static_cast<size_t>(level * a.size()))];
    const double y = b[std::min(b.size() - 1, static_cast<size_t>(level * b.size()))];
    s += (x - y) * (x - y);
  }
  return s / m;
}

std::vector<double> sliced_wasserstein_directions(int directions, int64_t dims, uint64_t seed) {
  const auto g = Generator(seed).derive("sliced_wasserstein").normal({directions, dims}).to_vector();
  std::vector<double> u(g.begin(), g.end());
  for (int k = 0; k < directions; ++k) {
    double norm = 0;
    for (int64_t j = 0; j < dims; ++j) norm += u[k * dims + j] * u[k * dims + j];
    norm = std::sqrt(norm);
    for (int64_t j = 0; j < dims; ++j) u[k * dims + j] /= norm;
  }
  return u;
}

double sliced_wasserstein(const Tensor& a_in, const Tensor& b_in, int directions, uint64_t seed) {
  const Points a = host(a_in), b = host(b_in);
  check_pair(a, b, 1);
  if (directions < 1) throw std::invalid_argument("sliced_wasserstein: directions must be >= 1");
  const auto dirs = sliced_wasserstein_directions(directions, a.d, seed);
  std::vector<double> per_direction(directions);
  parallel_for(directions, (a.n + b.n) * 20, [&](int64_t begin, int64_t end) {
    std::vector<double> pa(a.n), pb(b.n);
    for (int64_t k = begin; k < end; ++k) {
      const double* u = dirs.data() + k * a.d;
      auto project = [&](const Points& p, std::vector<double>& out) {
        for (int64_t i = 0; i < p.n; ++i) {
          double s = 0;
          for (int64_t j = 0; j < p.d; ++j) s += p.row(i)[j] * u[j];
          out[i] = s;
        }
        std::sort(out.begin(), out.end());
      };
      project(a, pa);
      project(b, pb);
      per_direction[k] = w2_squared_sorted(pa, pb);
    }
  });
  double total = 0;
  for (double v : per_direction) total += v;
  return std::sqrt(total / directions);
}

double mmd_median_bandwidth(const Tensor& a_in, const Tensor& b_in) {
  const Points a = host(a_in), b = host(b_in);
  check_pair(a, b, 1);
  return median_bandwidth(a, b);
}

double mmd_rbf(const Tensor& a_in, const Tensor& b_in, double bandwidth) {
  const Points a = host(a_in), b = host(b_in);
  check_pair(a, b, 2);
  const double h = bandwidth > 0 ? bandwidth : median_bandwidth(a, b);
  const double inv = 1.0 / (2.0 * h * h);
  auto k = [inv](double r2) { return std::exp(-r2 * inv); };
  const double kaa = pair_sum(a, a, true, k) / (double(a.n) * (a.n - 1));
  const double kbb = pair_sum(b, b, true, k) / (double(b.n) * (b.n - 1));
  const double kab = pair_sum(a, b, false, k) / (double(a.n) * b.n);
  return kaa + kbb - 2.0 * kab;
}

double energy_distance(const Tensor& a_in, const Tensor& b_in) {
  const Points a = host(a_in), b = host(b_in);
  check_pair(a, b, 2);
  auto dist = [](double r2) { return std::sqrt(r2); };
  const double xy = pair_sum(a, b, false, dist) / (double(a.n) * b.n);
  const double xx = pair_sum(a, a, true, dist) / (double(a.n) * (a.n - 1));
  const double yy = pair_sum(b, b, true, dist) / (double(b.n) * (b.n - 1));
  return 2.0 * xy - xx - yy;
}

}  // namespace genlab
