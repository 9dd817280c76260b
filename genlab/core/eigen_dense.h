// Eigen's Dense modules (decompositions, eigenvalues) with the same guard as
// genlab/core/eigen.h: GCC 12's false -Wmaybe-uninitialized in avx512fintrin.h (bug 105593)
// is silenced for Eigen's headers only.
#pragma once

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <Eigen/Dense>
#pragma GCC diagnostic pop
