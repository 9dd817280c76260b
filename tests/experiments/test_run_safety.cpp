// Runs are never overwritten or mixed: each default run gets its own folder, an existing
// output.path is refused without --overwrite, a second writer fails at once on the lock
// (real child processes), a stale lock is reported, resume names the keys that differ,
// extends a finished run and says when threads changed.
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

#include "genlab/core/ops.h"
#include "genlab/core/rng.h"
#include "genlab/experiments/run/checkpoint.h"
#include "genlab/experiments/experiment_config.h"
#include "genlab/experiments/run/run_lock.h"
#include "genlab/experiments/run/run_status.h"
#include "genlab/experiments/cli/runner.h"
#include "tests/experiments/child_runs.h"

using namespace genlab;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / "genlab_tests" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

const char* kSmall = R"(name: small
data: {name: moons}
model: {family: diffusion, net: {width: 16, depth: 1, embedding_dim: 8}}
train: {steps: 40, batch_size: 32, log_every: 10, eval_every: 0, checkpoint_every: 20}
evaluate: {samples: 100, eval_steps: 3}
samplers: [{sampler: euler, steps: 4}]
)";

ExperimentConfig small(const std::vector<std::string>& overrides) {
  return parse_experiment_config(kSmall, "small.yaml", overrides);
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

// `genlab run CFG ARGS` as a child process (output to /dev/null).
pid_t spawn_run(const std::string& cfg, const std::vector<std::string>& extra) {
  std::vector<std::string> args{"run", cfg};
  args.insert(args.end(), extra.begin(), extra.end());
  return genlab::testing::spawn_genlab_process(args);
}

// Waits until the child's run file has a checkpoint (it is then writing).
void wait_for_checkpoint(const std::string& path) {
  for (int i = 0; i < 4000; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    try {
      if (RunFile::open(path).group_attrs("checkpoint").count("step")) return;
    } catch (const std::exception&) {
    }
  }
  FAIL("the child run never wrote a checkpoint");
}

}  // namespace

TEST_CASE("each run without output.path gets its own folder, an existing path is refused",
          "[runner][safety]") {
  const fs::path dir = fresh_dir("placement");
  std::ostringstream log;
  const auto a = run_experiment(small({"output.folder=" + dir.string()}), log,
                                RunOptions{"", false, "genlab run small.yaml"});
  const auto b = run_experiment(small({"output.folder=" + dir.string()}), log);
  CHECK(a.path != b.path);
  for (const auto& p : {a.path, b.path}) {
    CHECK(fs::path(p).filename() == "run.h5");
    CHECK(fs::path(p).parent_path().parent_path() == dir / "small");
    CHECK(fs::exists(fs::path(p).parent_path() / "config.yaml"));
    CHECK(fs::exists(fs::path(p).parent_path() / "command.txt"));
    CHECK(fs::exists(fs::path(p).parent_path() / "run.log"));
  }
  CHECK(fs::equivalent(dir / "small" / "latest" / "run.h5", b.path));
  const auto attrs = RunFile::open(a.path).attrs();
  CHECK(attrs.at("command_line") == "genlab run small.yaml");
  CHECK_THAT(attrs.at("config_yaml"), Contains("path: " + a.path));  // where it went
  CHECK(attrs.count("git_commit") == 1);
  CHECK((attrs.at("git_dirty") == "true" || attrs.at("git_dirty") == "false"));
  std::ifstream cmd(fs::path(a.path).parent_path() / "command.txt");
  std::string line;
  std::getline(cmd, line);
  CHECK(line == "genlab run small.yaml");

  // An explicit output.path that exists: refused, naming the file and the choices.
  const std::string path = (dir / "fixed.h5").string();
  run_experiment(small({"output.path=" + path}), log);
  const std::string refused = error_of([&] { run_experiment(small({"output.path=" + path}), log); });
  CHECK_THAT(refused, Contains(path + " exists (a run whose status is 'completed'"));
  CHECK_THAT(refused, Contains("--overwrite"));
  CHECK_THAT(refused, Contains("--resume " + path));
  // A data error with --overwrite leaves the existing run untouched: the file is created
  // only once data and model are built.
  CHECK_THAT(error_of([&] {
               run_experiment(parse_experiment_config(
                                  "name: small\ndata: {name: hdf5, path: /nonexistent.h5}\n"
                                  "model: {family: autoregressive}\n",
                                  "typo.yaml", {"output.path=" + path}),
                              log, RunOptions{"", true, ""});
             }),
             Contains("/nonexistent.h5"));
  CHECK(RunFile::open(path).attrs().at("status") == "completed");
  CHECK(run_experiment(small({"output.path=" + path, "seed=5"}), log, RunOptions{"", true, ""})
            .status == "completed");
  CHECK(RunFile::open(path).attrs().at("seed") == "5");
}

TEST_CASE("a second writer fails at once on the lock, a stale lock is reported",
          "[runner][safety][lock]") {
  const fs::path dir = fresh_dir("lock");
  const std::string cfg = (dir / "small.yaml").string(), path = (dir / "live.h5").string();
  std::ofstream(cfg) << kSmall;
  const pid_t child = spawn_run(cfg, {"train.steps=100000000", "output.path=" + path});
  wait_for_checkpoint(path);
  std::ostringstream log;
  // A run with --overwrite, a --resume and a genlab sample of the live run all fail.
  const std::string busy = "is being written by pid " + std::to_string(child);
  CHECK_THAT(error_of([&] {
               run_experiment(small({"output.path=" + path}), log, RunOptions{"", true, ""});
             }),
             Contains(busy));
  CHECK_THAT(error_of([&] { run_experiment(small({"output.path=" + path}), log, path); }),
             Contains(busy));
  CHECK_THAT(error_of([&] { add_variant(path, "euler", {"steps=3"}, log); }), Contains(busy));
  CHECK_THAT(lock_holder(path), Contains(std::to_string(child)));

  // Killed outright: the lock stays, and is reported as stale, not taken over...
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  const std::string stale = error_of([&] {
    run_experiment(small({"output.path=" + path}), log, RunOptions{"", true, ""});
  });
  CHECK_THAT(stale, Contains("has a stale lock: its writer, pid " + std::to_string(child)));
  CHECK_THAT(stale, Contains("--resume"));
  CHECK_THAT(error_of([&] { RunLock lock(path, RunLock::Stale::refuse); }), Contains("stale lock"));
  // ...except by --resume, which says so (here it then refuses the changed config).
  std::ostringstream notice;
  CHECK_NOTHROW(RunLock(path, RunLock::Stale::take_over, &notice));
  CHECK_THAT(notice.str(), Contains("taking over the stale lock of pid " + std::to_string(child)));
  CHECK(lock_holder(path).empty());  // released when the lock went out of scope
}

TEST_CASE("the lock knows the file by every name: a symlink, ./name, dir/../name", "[runner][safety][lock]") {
  const fs::path dir = fresh_dir("lock_names");
  const std::string cfg = (dir / "small.yaml").string(), path = (dir / "live.h5").string();
  std::ofstream(cfg) << kSmall;
  const pid_t child = spawn_run(cfg, {"train.steps=100000000", "output.path=" + path});
  wait_for_checkpoint(path);
  fs::create_symlink(path, dir / "link.h5");
  fs::create_directories(dir / "sub");
  std::ostringstream log;
  const std::string busy = "is being written by pid " + std::to_string(child);
  for (const std::string& name : {(dir / "link.h5").string(), (dir / "." / "live.h5").string(),
                                  (dir / "sub" / ".." / "live.h5").string()}) {
    INFO(name);
    CHECK_THAT(error_of([&] { run_experiment(small({"output.path=" + name}), log, name); }), Contains(busy));
    CHECK_THAT(error_of([&] { add_variant(name, "euler", {"steps=3"}, log); }), Contains(busy));
  }
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  // Written through the symlink, the link stays a link and the file behind it changes.
  {
    std::ostringstream notice;
    const RunLock take(path, RunLock::Stale::take_over, &notice);
  }
  RunFile through = RunFile::open((dir / "link.h5").string());
  through.set_attr("note", "through the link");
  CHECK(fs::is_symlink(dir / "link.h5"));
  CHECK(RunFile::open(path).attrs().at("note") == "through the link");
}

TEST_CASE("locks that guard nothing do not block: garbage, no run file, a reused pid", "[runner][safety][lock]") {
  const fs::path dir = fresh_dir("lock_orphans");
  const std::string path = (dir / "r.h5").string();
  std::ostringstream log;
  // An empty lock, and one of garbage: replaced, with a note; the run goes on.
  for (const std::string& text : {std::string(), std::string("\x01garbage\n")}) {
    std::ofstream(path + ".lock") << text;
    std::ostringstream notice;
    CHECK_NOTHROW(RunLock(path, RunLock::Stale::refuse, &notice));
    CHECK_THAT(notice.str(), Contains("it names no writer"));
  }
  // The parser keeps the fields in their places (fuzz/fuzz_lock.cpp found an unreadable
  // time that moved the start time into it on the way back).
  const LockHolder odd = parse_lock_text(std::string("vm 345 \xff\x7f\xff 1"));
  CHECK(odd.readable());
  CHECK(odd.since.empty());
  CHECK(odd.started == "1");
  const LockHolder back = parse_lock_text(lock_text(odd));
  CHECK((back.host == odd.host && back.pid == odd.pid && back.since == odd.since && back.started == odd.started));
  // A stale lock (a pid that is gone) with no run file beside it: replaced.
  std::ofstream(path + ".lock") << host_name() << " 999999999 2026-01-01T00:00:00Z\n";
  {
    std::ostringstream notice;
    CHECK_NOTHROW(RunLock(path, RunLock::Stale::refuse, &notice));
    CHECK_THAT(notice.str(), Contains("no run file beside it"));
  }
  // A live pid that is another process than the writer (pid 1 did not start at tick 7):
  // stale, not "being written", so --resume takes it over.
  run_experiment(small({"output.path=" + path, "train.steps=20"}), log);
  std::ofstream(path + ".lock") << host_name() << " 1 2026-01-01T00:00:00Z 7\n";
  const std::string refused = error_of([&] { RunLock lock(path, RunLock::Stale::refuse); });
  CHECK_THAT(refused, Contains("has a stale lock"));
  CHECK_THAT(refused, !Contains("being written"));
  std::ostringstream notice;
  CHECK_NOTHROW(RunLock(path, RunLock::Stale::take_over, &notice));
  CHECK_THAT(notice.str(), Contains("taking over the stale lock of pid 1"));
}

TEST_CASE("resuming a finished run takes new evaluation keys and variants, keeping its weights",
          "[runner][safety][resume]") {
  const fs::path dir = fresh_dir("resume_eval");
  const std::string path = (dir / "r.h5").string();
  std::ostringstream log;
  run_experiment(small({"output.path=" + path}), log);
  const auto weights = RunFile::open(path).read_tensors("model/ema");
  const auto summary = run_experiment(
      small({"output.path=" + path, "evaluate.samples=120", "samplers=[{sampler: heun, steps: 3}]"}), log, path);
  CHECK(summary.status == "completed");
  const RunFile f = RunFile::open(path);
  const auto rows = f.read_summary();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].text.at("name") == "heun-3");
  CHECK(f.read_samples("heun-3").size(0) == 120);
  for (const auto& [name, t] : f.read_tensors("model/ema")) CHECK(max(abs(t - weights.at(name)), {}).item() == 0.0f);
  CHECK_THAT(f.attrs().at("resume_changes"), Contains("evaluate.samples"));
  // Without any change there is still nothing to do.
  CHECK_THAT(error_of([&] {
               run_experiment(small({"output.path=" + path, "evaluate.samples=120",
                                     "samplers=[{sampler: heun, steps: 3}]"}), log, path);
             }),
             Contains("nothing to resume"));
}

TEST_CASE("a damaged checkpoint is refused, naming what: a flipped bit, a step out of range", "[runner][safety][resume]") {
  const fs::path dir = fresh_dir("checkpoint_damage");
  std::ostringstream log;
  auto killed_run = [&](const std::string& name) {
    const std::string path = (dir / name).string();
    // A run that stopped after its checkpoint at step 20 (its status says failed).
    run_experiment(small({"output.path=" + path, "train.steps=20"}), log);
    RunFile f = RunFile::open(path);
    f.set_status("failed");
    return path;
  };
  auto resume_error = [&](const std::string& path) {
    return error_of([&] { run_experiment(small({"output.path=" + path, "train.steps=40"}), log, path); });
  };
  // Untouched, it resumes.
  const std::string fine = killed_run("fine.h5");
  CHECK(run_experiment(small({"output.path=" + fine, "train.steps=40"}), log, fine).status == "completed");
  // One value of the saved parameters changed by its last bit.
  const std::string flipped = killed_run("flipped.h5");
  {
    RunFile f = RunFile::open(flipped);
    const std::string slot = "checkpoint/" + f.group_attrs("checkpoint").at("latest") + "/params";
    auto params = f.read_tensors(slot);
    auto& [name, t] = *params.begin();
    auto v = t.to_vector();
    uint32_t bits = 0;
    std::memcpy(&bits, &v[0], 4);
    bits ^= 1u;
    std::memcpy(&v[0], &bits, 4);
    f.write_tensors(slot, {{name, Tensor::from_vector(v, t.shape())}});
  }
  CHECK_THAT(resume_error(flipped), Contains("checksum does not match"));
  // A step of -5, of 999 (past the run), one that is not /checkpoint:step, and text; each
  // with its checksum made right, so that the step's own checks must catch it.
  for (const std::string step : {"-5", "999", "10", "x7"}) {
    INFO(step);
    const std::string path = killed_run("step" + step + ".h5");
    RunFile f = RunFile::open(path);
    const std::string slot = "checkpoint/" + f.group_attrs("checkpoint").at("latest");
    auto attrs = f.group_attrs(slot);
    attrs["step"] = step;
    std::map<std::string, std::map<std::string, Tensor>> tensors;
    for (const char* group : {"params", "ema", "optimizer"})
      if (f.exists("/" + slot + "/" + group)) tensors[group] = f.read_tensors(slot + "/" + group);
    attrs["checksum"] = checkpoint_checksum(tensors, attrs);
    f.set_group_attrs(slot, attrs);
    if (step == "999") f.set_group_attrs("checkpoint", {{"step", "999"}});
    const std::string e = resume_error(path);
    CHECK_THAT(e, Contains(path));
    CHECK_THAT(e, !Contains("checksum"));
    CHECK((e.find("not a count") != std::string::npos || e.find("past the run") != std::string::npos ||
           e.find("is not /checkpoint:step") != std::string::npos));
  }
}

TEST_CASE("a process memory limit (ulimit -d, as a cgroup or Slurm --mem sets one) is refused in words",
          "[runner][safety][memory]") {
  // Under a 1 GB data limit a batch whose activations need more stops with OutOfMemory
  // naming the limit, exit 1 and a run file that says so, instead of a kill.
  const fs::path dir = fresh_dir("memory_limit");
  const std::string cfg = (dir / "small.yaml").string(), path = (dir / "m.h5").string(),
                    out = (dir / "out.txt").string();
  std::ofstream(cfg) << kSmall;
  const std::string command = "ulimit -d 1000000; exec '" + std::string(GENLAB_BINARY) + "' run '" + cfg +
                              "' output.path='" + path + "' train.batch_size=16000000 model.net.width=64 > '" +
                              out + "' 2>&1";
  const int status = std::system(("bash -c \"" + command + "\"").c_str());
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
  std::ifstream in(out);
  const std::string said((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK_THAT(said, Contains("out of memory while training"));
  CHECK_THAT(said, Contains("RLIMIT_DATA"));
  CHECK_THAT(RunFile::open(path).attrs().at("error"), Contains("RLIMIT_DATA"));
}

namespace {

// A memory cgroup of `bytes` this test may put a process in: v1's memory controller or a
// v2 tree that delegates memory; "" where neither can be made (no root, read-only /sys).
std::string make_memory_cgroup(size_t bytes) {
  const std::string name = "genlab_test_" + std::to_string(getpid());
  std::ifstream mounts("/proc/self/mountinfo");
  for (std::string line; std::getline(mounts, line);) {
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string x; words >> x;) w.push_back(x);
    const auto dash = std::find(w.begin(), w.end(), "-");
    if (w.size() < 5 || dash == w.end() || dash + 3 >= w.end()) continue;
    const bool v1 = *(dash + 1) == "cgroup" && ("," + *(dash + 3) + ",").find(",memory,") != std::string::npos;
    const bool v2 = *(dash + 1) == "cgroup2";
    if (!v1 && !v2) continue;
    if (v2) {  // the root must hand the memory controller down
      std::ifstream control(w[4] + "/cgroup.subtree_control");
      std::string on;
      std::getline(control, on);
      if (on.find("memory") == std::string::npos) continue;
    }
    const fs::path dir = fs::path(w[4]) / name;
    std::error_code ec;
    fs::create_directory(dir, ec);
    if (ec) continue;
    std::ofstream(dir / (v1 ? "memory.limit_in_bytes" : "memory.max")) << bytes << "\n";
    if (fs::exists(dir / "cgroup.procs")) return dir.string();
    fs::remove(dir, ec);
  }
  return "";
}

}  // namespace

TEST_CASE("a cgroup memory limit (Slurm --mem, a container) is refused in words before the kernel kills",
          "[runner][safety][memory]") {
  const std::string cgroup = make_memory_cgroup(size_t{1} << 30);
  if (cgroup.empty()) {
    WARN("skipped: no memory cgroup can be made here (needs root and a writable /sys/fs/cgroup)");
    return;
  }
  const fs::path dir = fresh_dir("cgroup_limit");
  const std::string cfg = (dir / "small.yaml").string(), path = (dir / "m.h5").string(),
                    out = (dir / "out.txt").string();
  std::ofstream(cfg) << kSmall;
  // The shell joins the cgroup, then becomes genlab (bounded in time should the limit be
  // missed: the run would otherwise train for many minutes).
  const std::string command = "echo \\$\\$ > '" + cgroup + "/cgroup.procs' && exec timeout 300 '" +
                              std::string(GENLAB_BINARY) + "' run '" + cfg + "' output.path='" + path +
                              "' train.steps=3 train.batch_size=16000000 model.net.width=64 > '" + out + "' 2>&1";
  const int status = std::system(("bash -c \"" + command + "\"").c_str());
  std::error_code ec;
  fs::remove(cgroup, ec);  // empty again once the child has ended
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
  std::ifstream in(out);
  const std::string said((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK_THAT(said, Contains("out of memory while training"));
  CHECK_THAT(said, Contains("the cgroup limit " + cgroup));
  CHECK_THAT(RunFile::open(path).attrs().at("error"), Contains("the cgroup limit"));
}

TEST_CASE("resume names the keys that differ, extends a finished run, allows new threads",
          "[runner][safety][resume]") {
  const fs::path dir = fresh_dir("resume_keys");
  const std::string path = (dir / "r.h5").string();
  std::ostringstream log;
  run_experiment(small({"output.path=" + path, "threads=2"}), log);
  // A finished run: nothing to resume unless it is extended.
  CHECK_THAT(error_of([&] { run_experiment(small({"output.path=" + path, "threads=2"}), log, path); }),
             Contains("the run completed; nothing to resume (to extend it"));
  const std::string differs = error_of([&] {
    run_experiment(small({"output.path=" + path, "threads=2", "train.lr=0.002", "model.net.width=8"}),
                   log, path);
  });
  CHECK_THAT(differs, Contains("train.lr: stored 0.001, given 0.002"));
  CHECK_THAT(differs, Contains("model.net.width: stored 16, given 8"));
  // Extending: 40 -> 60 steps from the final checkpoint; results are written once.
  const auto extended =
      run_experiment(small({"output.path=" + path, "train.steps=60", "threads=1"}), log, path);
  CHECK(extended.status == "completed");
  const RunFile f = RunFile::open(path);
  CHECK(f.read_columns("train").at("step").back() == 60);
  CHECK(f.read_summary().size() == 1);
  CHECK_THAT(f.attrs().at("config_yaml"), Contains("steps: 60"));
  CHECK_THAT(f.attrs().at("resume_changes"), Contains("train.steps: stored 40, given 60"));
  CHECK_THAT(log.str(), Contains("resuming with changes"));
  // Threads changed (2 -> 1): said, and recorded.
  CHECK(f.attrs().at("threads") == "1");
  CHECK_THAT(f.attrs().at("resume_bitwise"), Contains("threads 2 -> 1"));
  CHECK_THAT(log.str(), Contains("will not be bitwise"));
  CHECK_THAT(f.attrs().at("resume_changes"), Contains("threads: stored 2, given 1"));
  // A run file written before a key existed (here the variants' precision and noise,
  // issue 18) resumes: the stored config is re-resolved with today's defaults.
  RunFile old = RunFile::open(path);
  std::string yaml = old.attrs().at("config_yaml");
  for (const std::string key : {"    precision: float32\n", "    noise: independent\n"}) {
    const auto at = yaml.find(key);
    REQUIRE(at != std::string::npos);
    yaml.erase(at, key.size());
  }
  old.set_attr("config_yaml", yaml);
  const auto older =
      run_experiment(small({"output.path=" + path, "train.steps=70", "threads=1"}), log, path);
  CHECK(older.status == "completed");
  CHECK(RunFile::open(path).read_columns("train").at("step").back() == 70);
}

TEST_CASE("divergence stops the run naming the step, and bad image data is refused",
          "[runner][safety][diverge]") {
  const fs::path dir = fresh_dir("diverge");
  const std::string path = (dir / "d.h5").string();
  std::ostringstream log;
  // Data at 1e20 overflows float32 in the loss: a non-finite loss at the first step.
  const std::string error = error_of([&] {
    run_experiment(small({"output.path=" + path, "data.name=mixture", "data.weights=[1]",
                          "data.means=[[1.0e20, 0]]", "data.variances=[[1, 1]]"}),
                   log);
  });
  CHECK_THAT(error, Contains("training diverged"));
  CHECK_THAT(error, Contains("step 1: the loss is inf"));
  const auto attrs = RunFile::open(path).attrs();
  CHECK(attrs.at("status") == "failed");
  CHECK_THAT(attrs.at("error"), Contains("training diverged"));
  CHECK_FALSE(RunFile::open(path).exists("/model"));  // no NaN weights as the result
  // The log beside the run file has every printed line, timestamped, and the error.
  std::ifstream log_file(dir / "d.log");
  const std::string text((std::istreambuf_iterator<char>(log_file)), std::istreambuf_iterator<char>());
  CHECK_THAT(text, Contains(" info genlab run 'small'"));
  CHECK_THAT(text, Contains(" error step 1: the loss is inf"));
  CHECK(text.size() > 24);
  CHECK(text[4] == '-');
  CHECK(text[10] == 'T');  // 2026-11-30T08:04:00.131

  // Image data: NaN, negative or out-of-range gray levels, and a test set of another
  // shape, are refused naming the file (they were binarized to zeros, or read out of bounds).
  const std::string images = (dir / "images.h5").string();
  auto bad = Generator(1).uniform({20, 4, 4}).to_vector();
  bad[37] = -0.5f;
  RunFile::create(images, {}, "").write_tensors(
      "data", {{"images", Tensor::from_vector(bad, {20, 4, 4})},
               {"ok", Generator(2).uniform({20, 4, 4})},
               {"ok_test", Generator(3).uniform({5, 3, 3})}});
  auto image_run = [&](const std::string& dataset) {
    return error_of([&] {
      run_experiment(parse_experiment_config("name: i\ndata: {name: hdf5, path: " + images +
                                                 ", hdf5_dataset: " + dataset +
                                                 ", validation: 5}\nmodel: {family: autoregressive}\n",
                                             "i.yaml", {"output.path=" + (dir / "i.h5").string()}),
                     log);
    });
  };
  CHECK_THAT(image_run("data/images"), Contains(images + ": 'data/images' holds -0.5"));
  CHECK_THAT(image_run("data/images"), Contains("at flat index 37"));
  CHECK_THAT(image_run("data/ok"), Contains("'data/ok_test' has examples of another shape"));
  CHECK_FALSE(fs::exists(dir / "i.h5"));  // data errors come before the run file exists
}

TEST_CASE("checkpoints reuse their space: the file does not grow with their number",
          "[runner][safety][space]") {
  const fs::path dir = fresh_dir("space");
  std::ostringstream log;
  auto size_after = [&](int64_t checkpoints) {
    std::string name = "c";  // built in steps: GCC 12 warns falsely (-Wrestrict) on a + chain
    name += std::to_string(checkpoints);
    name += ".h5";
    const std::string path = (dir / name).string();
    run_experiment(small({"output.path=" + path, "train.steps=" + std::to_string(10 * checkpoints),
                          "train.checkpoint_every=10", "train.log_every=10",
                          "model.net.width=256", "model.net.depth=3"}),
                   log);
    return static_cast<double>(fs::file_size(path));
  };
  const double few = size_after(4), many = size_after(40);
  INFO("4 checkpoints: " << few << " bytes, 40: " << many);
  CHECK(many < 1.2 * few);  // it was about x2 after 40 checkpoints when slots were rewritten anew
}

TEST_CASE("the genlab binary refuses an existing output.path and replaces it with --overwrite",
          "[runner][safety]") {
  const fs::path dir = fresh_dir("overwrite_cli");
  const std::string cfg = (dir / "small.yaml").string(), path = (dir / "o.h5").string();
  std::ofstream(cfg) << kSmall;
  auto exit_code = [&](const std::vector<std::string>& extra) {
    const pid_t child = spawn_run(cfg, extra);
    int status = 0;
    waitpid(child, &status, 0);
    REQUIRE(WIFEXITED(status));
    return WEXITSTATUS(status);
  };
  CHECK(exit_code({"output.path=" + path}) == 0);
  CHECK(exit_code({"output.path=" + path, "seed=3"}) == 1);  // refused: the file is untouched
  CHECK(RunFile::open(path).attrs().at("seed") == "0");
  CHECK(exit_code({"output.path=" + path, "seed=3", "--overwrite"}) == 0);
  CHECK(RunFile::open(path).attrs().at("seed") == "3");
  CHECK_THAT(RunFile::open(path).attrs().at("command_line"), Contains("--overwrite"));
}

TEST_CASE("a full disk: a clear error, exit 1, and a readable file with its last checkpoint",
          "[runner][safety][disk]") {
  // The child may write at most 400 KiB (RLIMIT_FSIZE, with SIGXFSZ ignored, so a write
  // past it fails with EFBIG as a full disk fails with ENOSPC); the run's checkpoints
  // outgrow that. It used to crash (SIGSEGV) after reporting the error.
  const fs::path dir = fresh_dir("disk_full");
  const std::string cfg = (dir / "small.yaml").string(), path = (dir / "full.h5").string();
  std::ofstream(cfg) << kSmall;
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{400 * 1024, 400 * 1024};
    setrlimit(RLIMIT_FSIZE, &limit);
    const int null_fd = open("/dev/null", O_WRONLY);
    dup2(null_fd, 1), dup2(null_fd, 2);
    execl(GENLAB_BINARY, GENLAB_BINARY, "run", cfg.c_str(), ("output.path=" + path).c_str(),
          "train.steps=4000", "train.checkpoint_every=100", "train.log_every=100",
          "model.net.width=96", "model.net.depth=3", static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  waitpid(child, &status, 0);
  REQUIRE(WIFEXITED(status));  // not killed by a signal
  CHECK(WEXITSTATUS(status) == 1);
  const RunFile f = RunFile::open(path);
  const auto attrs = f.attrs();
  CHECK(attrs.at("status") == "failed");
  CHECK_THAT(attrs.at("error"), Contains("File too large"));
  // The last complete checkpoint is intact and loads.
  const auto latest = f.group_attrs("checkpoint");
  REQUIRE(latest.count("latest") == 1);
  const auto params = f.read_tensors("checkpoint/" + latest.at("latest") + "/params");
  CHECK(!params.empty());
  bool finite = true;
  for (const auto& [name, t] : params)
    for (const float v : t.to_vector()) finite = finite && std::isfinite(v);
  CHECK(finite);
  CHECK(std::stoll(latest.at("step")) >= 100);
}
