// `genlab run CONFIG --multirun ... --emit slurm` (issue 16): a Slurm array job script, one
// task per point with the command line that point needs, and the sweep's index; nothing runs.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "genlab/experiments/experiment_config.h"
#include "genlab/experiments/cli/slurm_script.h"
#include "genlab/experiments/cli/sweep.h"
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

TEST_CASE("the Slurm script: hostile strings stay data, never commands or lines", "[sweep][slurm][safety]") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "genlab_tests" / "slurm_hostile";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string canary = (dir / "CANARY").string();
  const std::vector<std::string> hostile{
      "a\ntouch " + canary + "\n",     "$(touch " + canary + ")",     "`touch " + canary + "`",
      "'; touch " + canary + "; '",    "\"; touch " + canary + "; \"", "x\\\n$(touch " + canary + ")",
      std::string("tab\tcr\rbell\x07") + "esc\x1b[1m", "", "' '"};
  // The tasks cd into a folder with a hostile name, and run a fake genlab that writes its
  // arguments, NUL-separated, to a file.
  const fs::path work = dir / "work $(touch CANARY) `x` 'q' \"d\"\nnl";
  fs::create_directories(work);
  const std::string fake = (dir / "fake genlab").string(), args_out = (dir / "args").string();
  std::ofstream(fake) << "#!/bin/bash\nprintf '%s\\0' \"$@\" > '" << args_out << "'\n";
  fs::permissions(fake, fs::perms::owner_all);
  SlurmJob job;
  job.config_path = hostile[0];
  job.script = hostile[1];
  job.index = hostile[2];
  job.command_line = hostile[3] + hostile[6];
  job.name = hostile[4] + "name";
  job.log_dir = dir.string();
  job.workdir = work.string();
  job.binary = fake;
  for (const auto& h : hostile) {
    job.points.push_back({"name=" + h, h, "output.path=ignored"});
    job.files.push_back((dir / ("out " + h)).string());
  }
  job.time = "1-02:00:00", job.mem = "16G", job.partition = "gpu_a100";
  const std::string text = slurm_script(job);
  // Exactly the lines genlab meant: 17 fixed (with the three optional directives), one per
  // point, and the two closing ones; every comment line one line.
  CHECK(std::count(text.begin(), text.end(), '\n') == static_cast<long>(17 + hostile.size() + 2));
  for (const char ch : text) CHECK((ch == '\n' || static_cast<unsigned char>(ch) >= 0x20));
  CHECK_THAT(text, Contains("#SBATCH --job-name=genlab-___touch_"));
  CHECK_THAT(text, Contains("#SBATCH --time=1-02:00:00\n#SBATCH --mem=16G\n#SBATCH --partition=gpu_a100\n"));
  const std::string script = (dir / "job.slurm").string();
  std::ofstream(script) << text;
  REQUIRE(std::system(("bash -n '" + script + "'").c_str()) == 0);
  for (size_t i = 0; i < hostile.size(); ++i) {
    INFO("point " << i);
    fs::remove(args_out);
    REQUIRE(std::system(("SLURM_ARRAY_TASK_ID=" + std::to_string(i) + " bash '" + script + "'").c_str()) == 0);
    const std::string got = read(args_out);
    std::vector<std::string> args;
    for (size_t at = 0; at < got.size();) {
      const size_t end = got.find('\0', at);
      args.push_back(got.substr(at, end - at));
      at = end + 1;
    }
    const std::vector<std::string> expected{"run", hostile[0], "name=" + hostile[i], hostile[i],
                                            "output.path=" + job.files[i]};
    CHECK(args == expected);
  }
  CHECK(!fs::exists(canary));
  CHECK(!fs::exists(work / "CANARY"));
  // What a directive cannot take is refused, naming it.
  SlurmJob bad = job;
  bad.log_dir = "/tmp/a\nb";
  CHECK_THROWS_WITH(slurm_script(bad), Contains("control character"));
  bad = job, bad.time = "2h; rm -rf";
  CHECK_THROWS_WITH(slurm_script(bad), Contains("--slurm-time"));
  bad = job, bad.mem = "G16";
  CHECK_THROWS_WITH(slurm_script(bad), Contains("--slurm-mem"));
  bad = job, bad.partition = "a b";
  CHECK_THROWS_WITH(slurm_script(bad), Contains("--slurm-partition"));
}
