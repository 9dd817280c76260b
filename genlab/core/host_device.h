// GENLAB_HD marks small functions that CUDA kernels call as well as host code: nvcc
// compiles them for both sides; other compilers see plain inline functions.
#pragma once

#if defined(__CUDACC__)
#define GENLAB_HD __host__ __device__
#else
#define GENLAB_HD
#endif
