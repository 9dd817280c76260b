// The Catch2 main of genlab_mpi_tests, which runs under `mpirun -np 2`: MPI is started
// before the tests and every rank runs every test, so each collective has its partner.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "genlab/core/distributed/communicator.h"

int main(int argc, char** argv) {
  genlab::init_world(&argc, &argv);
  const int failed = Catch::Session().run(argc, argv);
  // A rank that failed must not leave its partner waiting in a later collective.
  if (failed != 0 && genlab::world().size() > 1) genlab::world().abort(failed);
  return failed;
}
