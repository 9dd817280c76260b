// Eigen's Core module, as every genlab file includes it (never <Eigen/...> directly).
//
// GCC 12 reports -Wmaybe-uninitialized inside its own avx512fintrin.h wherever Eigen's
// AVX-512 packets are inlined (`_mm512_undefined_*`, GCC bug 105593, fixed in GCC 13):
// hundreds of lines of a third party's noise on any -march=native build on an AVX-512
// processor. The pragma covers Eigen's headers only, so GCC still checks genlab's code;
// GCC 12 honours it for warnings raised in code inlined from these headers.
#pragma once

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <Eigen/Core>
#pragma GCC diagnostic pop
