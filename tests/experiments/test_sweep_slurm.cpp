// `genlab run CONFIG --multirun ... --emit slurm` (issue 16): a Slurm array job script, one
// task per point with the command line that point needs, and the sweep's index; nothing runs.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "genlab/experiments/config/experiment_config.h"
#include "genlab/experiments/sweep.h"
#include "tests/experiments/temp_paths.h"

using namespace genlab;
using Catch::Matchers::Contains;
using genlab::testing::temp_path;

namespace {

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("a sweep with --emit slurm writes an array job script, one task per point, and the index", "[sweep][slurm]") {
  const std::string cfg = temp_path("slurm.yaml");
  std::ofstream(cfg) << "name: sl\ndata: {name: moons}\nthreads: 2\n"
                        "model: {family: diffusion, net: {width: 16, depth: 1}}\n"
                        "train: {steps: 5, batch_size: 8}\n";
  const std::string stem = temp_path("slurm_sweep.h5");
  const std::string expected_script = temp_path("slurm_sweep_sweep.slurm"), index_path = temp_path("slurm_sweep_index.tsv");
  std::ostringstream log;
  SweepOptions o{.command_line = "genlab run slurm.yaml --multirun ...", .emit = "slurm",
                 .genlab_binary = "/opt/genlab/bin/genlab"};
  const std::string script =
      run_sweep(cfg, {"train.lr=1e-3,2e-3", "name=\"it's\",b", "output.path=" + stem}, log, o);
  CHECK(script == expected_script);
  const std::string s = read(script);
  CHECK_THAT(s, Contains("#!/bin/bash\n"));
  CHECK_THAT(s, Contains("#SBATCH --array=0-3\n"));
  CHECK_THAT(s, Contains("#SBATCH --cpus-per-task=2\n"));  // the config's threads
  CHECK_THAT(s, Contains("export OMP_NUM_THREADS=\"${SLURM_CPUS_PER_TASK:-1}\""));
  // Point 1 (lr 1e-3, name b), quoted for the shell (a quote inside a value too), with
  // its own output path in place of the swept one.
  const std::string base = stem.substr(0, stem.size() - 3);
  CHECK_THAT(s, Contains("  0) exec '/opt/genlab/bin/genlab' run '" + std::filesystem::absolute(cfg).string() +
                         "' 'train.lr=1e-3' 'name=\"it'\\''s\"' 'output.path=" + base + "_000.h5' ;;\n"));
  CHECK_THAT(s, Contains("  3) exec '/opt/genlab/bin/genlab' run '" + std::filesystem::absolute(cfg).string() +
                         "' 'train.lr=2e-3' 'name=b' 'output.path=" + base + "_003.h5' ;;\n"));
  CHECK_THAT(s, Contains("*) echo"));
  CHECK(s.find("output.path=" + stem) == std::string::npos);
  struct stat st {};
  REQUIRE(stat(script.c_str(), &st) == 0);
  CHECK((st.st_mode & S_IXUSR) != 0);
  // The shell accepts it, and each task's line runs the point (here: echoes it).
  CHECK(std::system(("bash -n " + script).c_str()) == 0);
  const std::string dry = temp_path("slurm_dry.sh");
  std::ofstream(dry) << "sed \"s|exec '/opt/genlab/bin/genlab'|echo|; /^#SBATCH/d\" " << script
                     << " | SLURM_ARRAY_TASK_ID=2 bash\n";
  const std::string echoed = temp_path("slurm_dry.out");
  REQUIRE(std::system(("bash " + dry + " > " + echoed).c_str()) == 0);
  CHECK_THAT(read(echoed), Contains("train.lr=2e-3 name=\"it's\" output.path=" + base + "_002.h5"));
  CHECK(std::system(("SLURM_ARRAY_TASK_ID=9 bash " + script + " 2>/dev/null").c_str()) != 0);
  // The index names every point's file; no point ran.
  const std::string index = read(index_path);
  CHECK_THAT(index, Contains("slurm_sweep_001.h5\ttrain.lr=1e-3\tname=b"));
  CHECK_FALSE(std::filesystem::exists(base + "_000.h5"));
  o.emit = "pbs";
  CHECK_THROWS_WITH(run_sweep(cfg, {"train.lr=1e-3,2e-3", "output.path=" + temp_path("x.h5")}, log, o),
                    Contains("slurm"));
}
