#include "genlab/experiments/eval/metric_intervals.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "genlab/core/eigen_dense.h"
#include "genlab/core/parallel.h"
#include "genlab/core/rng.h"
#include "genlab/experiments/eval/metrics.h"

namespace genlab {
namespace {

using Matrix = Eigen::MatrixXd;

Matrix host_matrix(const Tensor& t) {
  if (t.dim() != 2) throw std::invalid_argument("bootstrap: samples must be [n, dims], got " + shape_str(t.shape()));
  const auto v = t.to_vector();
  Matrix m(t.size(0), t.size(1));
  for (int64_t i = 0; i < m.rows(); ++i)
    for (int64_t j = 0; j < m.cols(); ++j) m(i, j) = v[i * m.cols() + j];
  return m;
}

// The row sums of the two kernels behind MMD^2 (a Gaussian of the bandwidth) and energy
// distance (the distance): for each row i of a, sum over rows j of b (j != i when the
// sets are the same) of k(a_i, b_j).
struct KernelRowSums {
  std::vector<double> rbf, distance;
};

KernelRowSums kernel_row_sums(const Matrix& a, const Matrix& b, bool same, double inv_two_h2) {
  KernelRowSums out{std::vector<double>(a.rows(), 0.0), std::vector<double>(a.rows(), 0.0)};
  const int64_t d = a.cols();
  parallel_for(a.rows(), b.rows() * (d + 20), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      double k = 0, e = 0;
      for (int64_t j = 0; j < b.rows(); ++j) {
        if (same && i == j) continue;
        double r2 = 0;
        for (int64_t c = 0; c < d; ++c) r2 += (a(i, c) - b(j, c)) * (a(i, c) - b(j, c));
        k += std::exp(-r2 * inv_two_h2);
        e += std::sqrt(r2);
      }
      out.rbf[i] = k, out.distance[i] = e;
    }
  });
  return out;
}

double total(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s;
}

// A two-sample U-statistic c_aa S_aa / (n(n-1)) + c_bb S_bb / (m(m-1)) + c_ab S_ab / (nm)
// (S: sums over ordered pairs of distinct rows) without row i of a, for every i, and
// without row j of b, for every j, from the row sums: deleting a_i takes 2 R_aa(i) from
// S_aa and R_ab(i) from S_ab.
DeleteOne delete_one(const std::vector<double>& r_aa, const std::vector<double>& r_ab,
                     const std::vector<double>& r_bb, const std::vector<double>& r_ba, double c_aa,
                     double c_bb, double c_ab) {
  const double n = static_cast<double>(r_aa.size()), m = static_cast<double>(r_bb.size());
  const double s_aa = total(r_aa), s_bb = total(r_bb), s_ab = total(r_ab);
  DeleteOne out;
  for (size_t i = 0; i < r_aa.size(); ++i)
    out.without_sample.push_back(c_aa * (s_aa - 2 * r_aa[i]) / ((n - 1) * (n - 2)) + c_bb * s_bb / (m * (m - 1)) +
                                 c_ab * (s_ab - r_ab[i]) / ((n - 1) * m));
  for (size_t j = 0; j < r_bb.size(); ++j)
    out.without_reference.push_back(c_aa * s_aa / (n * (n - 1)) + c_bb * (s_bb - 2 * r_bb[j]) / ((m - 1) * (m - 2)) +
                                    c_ab * (s_ab - r_ba[j]) / (n * (m - 1)));
  return out;
}

// The two-sample jackknife's variance (Arvesen 1969): the spread of the delete-one
// values of each set, (n - 1) / n sum_i (U_(i) - mean)^2, summed over the two sets.
double jackknife_variance(const DeleteOne& d) {
  double var = 0;
  for (const auto* v : {&d.without_sample, &d.without_reference}) {
    const double n = static_cast<double>(v->size());
    const double mean = total(*v) / n;
    double s = 0;
    for (double x : *v) s += (x - mean) * (x - mean);
    var += (n - 1) / n * s;
  }
  return var;
}

// The indices w2_squared_sorted (metrics.cpp) pairs on the finer quantile grid of two
// sorted sets of sizes na and nb (the same for every replicate: a redraw keeps the size).
struct QuantileGrid {
  std::vector<size_t> a, b;
};

QuantileGrid quantile_grid(int64_t na, int64_t nb) {
  QuantileGrid g;
  const size_t m = static_cast<size_t>(std::max(na, nb));
  for (size_t q = 0; q < m; ++q) {
    const double level = (q + 0.5) / m;
    g.a.push_back(std::min(static_cast<size_t>(na) - 1, static_cast<size_t>(level * na)));
    g.b.push_back(std::min(static_cast<size_t>(nb) - 1, static_cast<size_t>(level * nb)));
  }
  return g;
}

// Sliced W2 of redrawn sets: each direction's projections are sorted once; a replicate's
// sorted projections repeat each value as often as it was drawn, and go through the
// point estimate's own quantile formula (metrics.h, with its indices precomputed).
std::vector<double> sliced_wasserstein_redrawn(const Matrix& a, const Matrix& b, const std::vector<RowCounts>& ca,
                                               const std::vector<RowCounts>& cb) {
  constexpr int kDirections = 128;  // sliced_wasserstein's defaults
  const auto dirs = sliced_wasserstein_directions(kDirections, a.cols(), 0);
  const size_t reps = ca.size();
  const QuantileGrid grid = quantile_grid(a.rows(), b.rows());
  std::vector<double> per(kDirections * reps);
  parallel_for(kDirections, (a.rows() + b.rows()) * static_cast<int64_t>(reps + 20), [&](int64_t k0, int64_t k1) {
    std::vector<double> ra, rb;
    for (int64_t k = k0; k < k1; ++k) {
      const Eigen::Map<const Eigen::VectorXd> u(dirs.data() + k * a.cols(), a.cols());
      auto sorted_projection = [&](const Matrix& x, std::vector<int64_t>& order) {
        Eigen::VectorXd p(x.rows());
        for (int64_t i = 0; i < x.rows(); ++i) {
          double s = 0;  // the point estimate's order of summation
          for (int64_t j = 0; j < x.cols(); ++j) s += x(i, j) * u(j);
          p(i) = s;
        }
        order.resize(static_cast<size_t>(x.rows()));
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](int64_t i, int64_t j) { return p(i) < p(j); });
        return p;
      };
      std::vector<int64_t> oa, ob;
      const Eigen::VectorXd pa = sorted_projection(a, oa), pb = sorted_projection(b, ob);
      std::vector<double> sa(oa.size()), sb(ob.size());
      for (size_t t = 0; t < oa.size(); ++t) sa[t] = pa(oa[t]);
      for (size_t t = 0; t < ob.size(); ++t) sb[t] = pb(ob[t]);
      // Each sorted value repeated as often as drawn, without a branch per row: each value
      // is written where the redrawn set has reached (a value drawn 0 times is then
      // overwritten by the next), and a running maximum fills the repeats (sorted values).
      auto expand = [](const std::vector<double>& sorted, const std::vector<int64_t>& order, const RowCounts& c,
                       std::vector<double>& out) {
        const size_t n = sorted.size();
        out.assign(n + 1, -INFINITY);
        size_t at = 0;
        for (size_t t = 0; t < n; ++t) {
          out[at] = sorted[t];
          at += static_cast<size_t>(c[order[t]]);
        }
        for (size_t q = 1; q < n; ++q) out[q] = std::max(out[q], out[q - 1]);
      };
      for (size_t r = 0; r < reps; ++r) {
        expand(sa, oa, ca[r], ra);
        expand(sb, ob, cb[r], rb);
        double s = 0;
        for (size_t q = 0; q < grid.a.size(); ++q) s += (ra[grid.a[q]] - rb[grid.b[q]]) * (ra[grid.a[q]] - rb[grid.b[q]]);
        per[k * reps + r] = s / static_cast<double>(grid.a.size());
      }
    }
  });
  std::vector<double> out(reps, 0.0);
  for (size_t r = 0; r < reps; ++r) {
    for (int k = 0; k < kDirections; ++k) out[r] += per[k * reps + r];
    out[r] = std::sqrt(out[r] / kDirections);
  }
  return out;
}

// z of a two-sided interval of this confidence (the normal quantile of (1 + c) / 2), by
// bisection on erf.
double two_sided_z(double confidence) {
  double lo = 0, hi = 10;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    (std::erf(mid / std::sqrt(2.0)) < confidence ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

}  // namespace

std::vector<RowCounts> bootstrap_counts(int64_t n, const BootstrapOptions& o, uint64_t salt) {
  std::vector<RowCounts> out;
  if (n <= 0 || o.replicates <= 0) return out;
  const auto u = Generator(o.seed).derive("bootstrap").derive(salt).uniform({o.replicates, n}).to_vector();
  for (int r = 0; r < o.replicates; ++r) {
    RowCounts c(static_cast<size_t>(n), 0);
    for (int64_t i = 0; i < n; ++i)
      ++c[std::min<int64_t>(n - 1, static_cast<int64_t>(u[r * n + i] * static_cast<double>(n)))];
    out.push_back(std::move(c));
  }
  return out;
}

Interval interval_from_replicates(double estimate, const std::vector<double>& replicates, double confidence) {
  if (replicates.size() < 2 || !std::isfinite(estimate)) return {std::nan(""), std::nan("")};
  double mean = 0;
  for (double r : replicates) mean += r;
  mean /= static_cast<double>(replicates.size());
  double var = 0;
  for (double r : replicates) var += (r - mean) * (r - mean);
  const double half = two_sided_z(confidence) * std::sqrt(var / static_cast<double>(replicates.size() - 1));
  return {estimate - half, estimate + half};
}

namespace {

// The four row sums of each kernel (aa, ab, bb, ba) of two sets.
struct SetRowSums {
  KernelRowSums aa, ab, bb, ba;
};

SetRowSums set_row_sums(const Matrix& a, const Matrix& b, const Tensor& samples, const Tensor& reference) {
  if (a.cols() != b.cols() || a.rows() < 3 || b.rows() < 3)
    throw std::invalid_argument("jackknife: two sets of >= 3 rows of one dimension are needed");
  const double h = mmd_median_bandwidth(samples, reference);
  const double inv = 1.0 / (2.0 * h * h);
  return {kernel_row_sums(a, a, true, inv), kernel_row_sums(a, b, false, inv), kernel_row_sums(b, b, true, inv),
          kernel_row_sums(b, a, false, inv)};
}

std::map<std::string, DeleteOne> delete_one_values(const SetRowSums& r) {
  return {{"mmd", delete_one(r.aa.rbf, r.ab.rbf, r.bb.rbf, r.ba.rbf, 1, 1, -2)},
          {"energy", delete_one(r.aa.distance, r.ab.distance, r.bb.distance, r.ba.distance, -1, -1, 2)}};
}

}  // namespace

std::map<std::string, DeleteOne> u_statistic_delete_one(const Tensor& samples, const Tensor& reference) {
  return delete_one_values(set_row_sums(host_matrix(samples), host_matrix(reference), samples, reference));
}

std::vector<double> sliced_wasserstein_replicates(const Tensor& samples, const Tensor& reference,
                                                  const std::vector<RowCounts>& sample_counts,
                                                  const std::vector<RowCounts>& reference_counts) {
  if (sample_counts.size() != reference_counts.size())
    throw std::invalid_argument("bootstrap: the two sets need as many replicates");
  const Matrix a = host_matrix(samples), b = host_matrix(reference);
  if (a.cols() != b.cols()) throw std::invalid_argument("bootstrap: the sets differ in dimension");
  for (const auto* counts : {&sample_counts, &reference_counts})
    for (const auto& c : *counts)
      if (static_cast<int64_t>(c.size()) != (counts == &sample_counts ? a.rows() : b.rows()))
        throw std::invalid_argument("bootstrap: counts of the wrong length");
  return sliced_wasserstein_redrawn(a, b, sample_counts, reference_counts);
}

std::map<std::string, double> distribution_metrics_with_intervals(const Tensor& samples, const Tensor& reference,
                                                                  const BootstrapOptions& o) {
  if (o.replicates < 2 || samples.size(0) < 3 || reference.size(0) < 3)
    return {{"sliced_wasserstein", sliced_wasserstein(samples, reference)},
            {"mmd", mmd_rbf(samples, reference)},
            {"energy", energy_distance(samples, reference)}};
  const Matrix a = host_matrix(samples), b = host_matrix(reference);
  const SetRowSums r = set_row_sums(a, b, samples, reference);
  // The estimates from the row sums, summed in mmd_rbf's and energy_distance's order (they
  // agree to rounding; the compiler may fuse the distance's multiply-adds differently).
  const double n = static_cast<double>(a.rows()), m = static_cast<double>(b.rows());
  std::map<std::string, double> out{
      {"sliced_wasserstein", sliced_wasserstein(samples, reference)},
      {"mmd", total(r.aa.rbf) / (n * (n - 1)) + total(r.bb.rbf) / (m * (m - 1)) - 2.0 * (total(r.ab.rbf) / (n * m))},
      {"energy", 2.0 * (total(r.ab.distance) / (n * m)) - total(r.aa.distance) / (n * (n - 1)) -
                     total(r.bb.distance) / (m * (m - 1))}};
  const double z = two_sided_z(o.confidence);
  for (const auto& [name, d] : delete_one_values(r)) {
    const double half = z * std::sqrt(jackknife_variance(d));
    out[name + "_lo"] = out[name] - half, out[name + "_hi"] = out[name] + half;
  }
  const Interval sw = interval_from_replicates(
      out["sliced_wasserstein"],
      sliced_wasserstein_redrawn(a, b, bootstrap_counts(a.rows(), o, 0), bootstrap_counts(b.rows(), o, 1)),
      o.confidence);
  out["sliced_wasserstein_lo"] = sw.lo, out["sliced_wasserstein_hi"] = sw.hi;
  return out;
}

Interval row_statistic_interval(int64_t n, double estimate, const std::function<double(const RowCounts&)>& statistic,
                                const BootstrapOptions& o, uint64_t salt) {
  std::vector<double> reps;
  for (const auto& c : bootstrap_counts(n, o, salt)) reps.push_back(statistic(c));
  return interval_from_replicates(estimate, reps, o.confidence);
}

}  // namespace genlab
