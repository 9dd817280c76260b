// Row-major float matrices over genlab's contiguous storage, for the CPU kernels.
#pragma once

#include "genlab/core/eigen.h"

namespace genlab::cpu {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixMap = Eigen::Map<RowMatrix>;
using ConstMatrixMap = Eigen::Map<const RowMatrix>;

}  // namespace genlab::cpu
