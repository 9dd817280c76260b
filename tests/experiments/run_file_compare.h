// Comparing the tensors two run files hold, for tests that run one config two ways (two
// devices, two rank counts) and expect the same model.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>

#include "genlab/experiments/run/run_file.h"

namespace genlab::testing {

// The largest |a - b| over the tensors of /<group> of two run files; relative: divided by
// 1 + |b|, so weights of any size are held to one tolerance.
inline double max_difference(const std::string& a, const std::string& b, const std::string& group,
                             bool relative = false) {
  const auto ta = RunFile::open(a).read_tensors(group), tb = RunFile::open(b).read_tensors(group);
  REQUIRE(ta.size() == tb.size());
  double worst = 0;
  for (const auto& [name, t] : ta) {
    const auto va = t.to_vector(), vb = tb.at(name).to_vector();
    REQUIRE(va.size() == vb.size());
    for (size_t i = 0; i < va.size(); ++i) {
      const double d = std::fabs(double(va[i]) - vb[i]);
      worst = std::max(worst, relative ? d / (1.0 + std::fabs(vb[i])) : d);
    }
  }
  return worst;
}

}  // namespace genlab::testing
