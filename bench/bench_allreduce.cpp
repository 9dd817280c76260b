// The gradient allreduce alone (issue 16): n floats summed over the ranks of `mpirun -np K`,
// by genlab's rank-ordered sum (a non-commutative user operation, so MPI must combine the
// ranks in order: deterministic) against MPI_SUM (the library's fastest algorithm for the
// size, whose order it chooses). Rank 0 prints the median seconds of each over the repeats.
//
//   mpirun -np 2 build/bench_allreduce 785288 37770
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "genlab/core/distributed/communicator.h"

int main(int argc, char** argv) {
  genlab::init_world(&argc, &argv);
  const genlab::Communicator& comm = genlab::world();
  const int repeats = 200;
  for (int a = 1; a < argc; ++a) {
    const long n = std::atol(argv[a]);
    std::vector<float> x(static_cast<size_t>(n), 1.0f);
    auto median = [&](auto&& reduce) {
      std::vector<double> t;
      for (int r = 0; r < repeats; ++r) {
        comm.barrier();
        const auto t0 = std::chrono::steady_clock::now();
        reduce();
        t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      }
      std::sort(t.begin(), t.end());
      return t[t.size() / 2];
    };
    const double ordered = median([&] { comm.allreduce_sum(x.data(), n); });
    const double library = median([&] {
      MPI_Allreduce(MPI_IN_PLACE, x.data(), static_cast<int>(n), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    });
    if (comm.rank() == 0)
      std::printf("{\"ranks\": %d, \"floats\": %ld, \"MB\": %.3f, \"rank_ordered_ms\": %.4f, \"mpi_sum_ms\": %.4f}\n",
                  comm.size(), n, 4e-6 * static_cast<double>(n), 1e3 * ordered, 1e3 * library);
  }
  return 0;
}
