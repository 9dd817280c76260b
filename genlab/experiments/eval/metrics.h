// Distances between sample sets of vector data, for comparing samplers and models with
// data or exact samples. Sliced Wasserstein mostly measures where mass sits along 1-D
// projections; MMD and energy distance also see how mass splits between modes.
//
//   double sw = sliced_wasserstein(samples, exact);       // [n, D] and [m, D]
//   double mmd = mmd_rbf(samples, exact);                  // unbiased MMD^2, median bandwidth
#pragma once

#include <cstdint>
#include <vector>

#include "genlab/core/tensor.h"

namespace genlab {

// Sliced Wasserstein-2: the root mean over `directions` random unit directions (fixed by
// `seed`) of the squared 1-D W2 between the projections. Sizes may differ (quantiles).
double sliced_wasserstein(const Tensor& a, const Tensor& b, int directions = 128,
                          uint64_t seed = 0);

// Its parts, for the bootstrap (metric_intervals.h): the unit directions [directions,
// dims] row-major, and the 1-D W2^2 of two sorted samples on the finer quantile grid.
std::vector<double> sliced_wasserstein_directions(int directions, int64_t dims, uint64_t seed);
double w2_squared_sorted(const std::vector<double>& a, const std::vector<double>& b);

// Unbiased estimate of squared MMD with the kernel exp(-|x - y|^2 / (2 h^2)); h <= 0 picks
// the median heuristic (median pairwise distance of the pooled sets). May be slightly
// negative when the sets come from one distribution.
double mmd_rbf(const Tensor& a, const Tensor& b, double bandwidth = 0.0);

// The median heuristic's bandwidth of mmd_rbf for these two sets.
double mmd_median_bandwidth(const Tensor& a, const Tensor& b);

// Energy distance 2 E|X - Y| - E|X - X'| - E|Y - Y'| (U-statistics within each set).
double energy_distance(const Tensor& a, const Tensor& b);

}  // namespace genlab
