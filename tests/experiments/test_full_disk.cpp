// A full disk, the way users hit it: a small tmpfs whose free space runs out at many
// points of `genlab run`, `genlab run --resume` and `genlab sample`. In every trial the run
// file stays readable, a failed run says `failed` with the reason and keeps every result
// it completed and its last checkpoint, and after space is freed `--resume` ends bitwise
// where an uninterrupted run ends; a failed `genlab sample` leaves the file byte for byte
// as it was. Needs root (mount); skipped with a message elsewhere.
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "genlab/core/ops.h"
#include "genlab/experiments/run/run_file.h"
#include "genlab/experiments/run/run_status.h"
#include "tests/experiments/child_runs.h"
#include "tests/experiments/temp_paths.h"

using namespace genlab;
namespace fs = std::filesystem;
using Catch::Matchers::Contains;


namespace {

const char* kDisk = R"(name: disk
data: {name: moons}
model: {family: diffusion, net: {width: 32, depth: 2, embedding_dim: 16}}
train: {steps: 60, batch_size: 64, log_every: 10, eval_every: 30, checkpoint_every: 20}
evaluate: {samples: 300, eval_steps: 4}
samplers: [{sampler: euler, steps: 6}, {sampler: heun, steps: 4}]
)";

// A tmpfs of `mib` MiB at a fresh folder, unmounted at the end; mounted() is false where
// this process may not mount (not root, or a container without the capability).
class Tmpfs {
 public:
  explicit Tmpfs(int mib) : dir_(fs::temp_directory_path() / "genlab_tests" / "full_disk_mnt") {
    umount2(dir_.c_str(), MNT_DETACH);
    fs::create_directories(dir_);
    const std::string options = "size=" + std::to_string(mib) + "m";
    mounted_ = mount("tmpfs", dir_.c_str(), "tmpfs", 0, options.c_str()) == 0;
  }
  ~Tmpfs() {
    if (mounted_) umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  uintmax_t free_bytes() const {
    struct statvfs s {};
    statvfs(dir_.c_str(), &s);
    return static_cast<uintmax_t>(s.f_bavail) * s.f_frsize;
  }
  // Leaves about `bytes` free by filling the rest with one file; unfill() frees it.
  void leave_free(uintmax_t bytes) {
    unfill();
    const uintmax_t now = free_bytes();
    if (now <= bytes) return;
    const int fd = ::open(path("filler").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    REQUIRE(fd >= 0);
    REQUIRE(posix_fallocate(fd, 0, static_cast<off_t>(now - bytes)) == 0);
    ::close(fd);
  }
  void unfill() { fs::remove(path("filler")); }

 private:
  fs::path dir_;
  bool mounted_ = false;
};

// `genlab ARGS`, output to `log` (the messages a user sees); returns the exit code.
int genlab_cli(const std::vector<std::string>& args, const std::string& log) {
  return genlab::testing::exit_code_of(genlab::testing::spawn_genlab_process(args, log, log));
}

std::string bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void check_same_run(const std::string& ref, const std::string& other) {
  genlab::testing::check_same_run(ref, other, {"euler-6", "heun-4"});
}

// A run that stopped on the full disk: readable, `failed` with the reason, its training
// rows those of the uninterrupted run, its checkpoint complete; then resumed with room.
void check_failed_then_resume(const std::string& path, const std::string& ref, const std::string& log,
                              const std::vector<std::string>& resume_overrides, Tmpfs& disk) {
  INFO("what the user saw:\n" << bytes_of(log));
  const RunFile f = RunFile::open(path);  // readable
  const auto attrs = f.attrs();
  CHECK(attrs.at("status") == "failed");
  CHECK_THAT(attrs.at("error"), Contains("disk is nearly full"));
  CHECK_THAT(bytes_of(log), Contains("disk is nearly full"));
  CHECK(!fs::exists(RunFile::staging_path(path)));
  // Every training row it kept is the uninterrupted run's.
  const auto rows = f.read_columns("train"), all = RunFile::open(ref).read_columns("train");
  if (rows.count("step"))
    for (size_t i = 0; i < rows.at("step").size(); ++i) {
      CHECK(rows.at("step")[i] == all.at("step")[i]);
      CHECK(rows.at("loss")[i] == all.at("loss")[i]);
    }
  disk.unfill();
  std::vector<std::string> args{"run", "--resume", path};
  if (!f.group_attrs("checkpoint").count("latest")) {
    // Stopped before its first checkpoint: nothing to resume; it starts again.
    const std::string cfg = disk.path("again.yaml");
    std::ofstream(cfg) << kDisk;
    args = {"run", cfg, "--overwrite", "output.path=" + path};
  }
  args.insert(args.end(), resume_overrides.begin(), resume_overrides.end());
  REQUIRE(genlab_cli(args, log) == 0);
  check_same_run(ref, path);
}

}  // namespace

TEST_CASE("a full disk at any point of run, --resume and sample loses nothing", "[runner][safety][disk]") {
  Tmpfs disk(24);
  if (!disk.mounted()) {
    WARN("skipped: mounting a tmpfs needs root (CAP_SYS_ADMIN); this process may not");
    return;
  }
  // The uninterrupted reference, on the ordinary disk.
  const std::string cfg = genlab::testing::temp_path("disk.yaml");
  std::ofstream(cfg) << kDisk;
  const std::string ref = genlab::testing::temp_path("disk_ref.h5");
  REQUIRE(genlab_cli({"run", cfg, "output.path=" + ref}, ref + ".out") == 0);
  const uintmax_t final_size = fs::file_size(ref);
  // A write needs a copy of the file, its bytes and a margin, and leaves room to record a
  // failure (run_file.h): with the file itself, a run of final size F needs 3 F + 2 MiB
  // free at its start; the trials run from 2 MiB (it stops at once) past that (the last
  // ones complete). Each part of the test sees both outcomes.
  auto free_for = [&](int i, int n) {
    return (uintmax_t{2} << 20) + (64u << 10) + static_cast<uintmax_t>(3.5 * final_size * i / (n - 1));
  };
  int failed = 0, completed = 0;
  SECTION("genlab run") {
    for (int i = 0; i < 10; ++i) {
      INFO("trial " << i);
      const std::string path = disk.path("run" + std::to_string(i) + ".h5"), log = path + ".out";
      disk.leave_free(free_for(i, 10));
      const int code = genlab_cli({"run", cfg, "output.path=" + path}, log);
      disk.unfill();
      // Where each trial stopped (the test's output shows the spread).
      const RunFile after = RunFile::open(path);
      const auto train = after.read_columns("train");
      std::printf("run trial %d: %.2f MiB free, exit %d, status %s, last row at step %g\n", i,
                  static_cast<double>(free_for(i, 10)) / (1 << 20), code, after.attrs().at("status").c_str(),
                  train.count("step") ? train.at("step").back() : 0.0);
      if (code == 0) {
        ++completed;
        check_same_run(ref, path);
      } else {
        ++failed;
        CHECK(code == 1);
        check_failed_then_resume(path, ref, log, {}, disk);
      }
      fs::remove(path), fs::remove(log), fs::remove(path.substr(0, path.size() - 3) + ".log");
    }
  }
  SECTION("genlab run --resume (extending a finished run)") {
    // The reference for an extension: 30 steps, then --resume to 60, on the ordinary disk.
    const std::string base = genlab::testing::temp_path("disk_base.h5"),
                      ext_ref = genlab::testing::temp_path("disk_ext_ref.h5");
    REQUIRE(genlab_cli({"run", cfg, "output.path=" + base, "train.steps=30"}, base + ".out") == 0);
    fs::copy_file(base, ext_ref, fs::copy_options::overwrite_existing);
    REQUIRE(genlab_cli({"run", "--resume", ext_ref, "train.steps=60"}, ext_ref + ".out") == 0);
    for (int i = 0; i < 10; ++i) {
      INFO("trial " << i);
      const std::string path = disk.path("ext" + std::to_string(i) + ".h5"), log = path + ".out";
      fs::copy_file(base, path, fs::copy_options::overwrite_existing);
      // From what its first write needs (two copies of the 30-step file and two margins)
      // to past what the extension needs.
      const double b = static_cast<double>(fs::file_size(base)), f = static_cast<double>(fs::file_size(ext_ref));
      disk.leave_free(static_cast<uintmax_t>(2 * b + (2 << 20) + (64 << 10) + 1.2 * (3 * f - 3 * b) * i / 9));
      const int code = genlab_cli({"run", "--resume", path, "train.steps=60"}, log);
      std::printf("resume trial %d: exit %d, status %s, last step %g\n", i, code,
                  RunFile::open(path).attrs().at("status").c_str(),
                  RunFile::open(path).read_columns("train").at("step").back());
      if (code == 0) {
        ++completed;
        disk.unfill();
        check_same_run(ext_ref, path);
      } else if (RunFile::open(path).attrs().at("status") == "completed") {
        // Refused before it changed anything: the 30-step run, byte for byte, and a message.
        ++failed;
        CHECK(code == 1);
        CHECK_THAT(bytes_of(log), Contains("disk is nearly full"));
        CHECK(bytes_of(path) == bytes_of(base));
        disk.unfill();
        REQUIRE(genlab_cli({"run", "--resume", path, "train.steps=60"}, log) == 0);
        check_same_run(ext_ref, path);
      } else {
        ++failed;
        CHECK(code == 1);
        check_failed_then_resume(path, ext_ref, log, {"train.steps=60"}, disk);
      }
      disk.unfill();
      fs::remove(path), fs::remove(log), fs::remove(path.substr(0, path.size() - 3) + ".log");
    }
  }
  SECTION("genlab sample on a completed run") {
    const std::string path = disk.path("done.h5");
    fs::copy_file(ref, path, fs::copy_options::overwrite_existing);
    size_t variants = RunFile::open(path).read_summary().size();
    for (int i = 0; i < 10; ++i) {
      INFO("trial " << i);
      const std::string before = bytes_of(path), log = disk.path("sample.out");
      // Around what a variant needs (two copies of the file and two margins).
      disk.leave_free(2 * fs::file_size(path) + (uintmax_t{1} << 20) + (uintmax_t{2} << 20) * i / 9);
      const int code =
          genlab_cli({"sample", path, "--sampler", "heun", "steps=3", "name=s" + std::to_string(i)}, log);
      disk.unfill();
      std::printf("sample trial %d: exit %d\n", i, code);
      CHECK(!fs::exists(RunFile::staging_path(path)));
      if (code == 0) {
        ++completed;
        const auto rows = RunFile::open(path).read_summary();
        CHECK(rows.size() == ++variants);
        CHECK(rows.back().text.at("name") == "s" + std::to_string(i));
        CHECK(rows[0].numbers.at("mmd") == RunFile::open(ref).read_summary()[0].numbers.at("mmd"));
      } else {
        ++failed;
        CHECK(code == 1);
        CHECK_THAT(bytes_of(log), Contains("disk is nearly full"));
        CHECK(bytes_of(path) == before);  // exactly as it was
      }
    }
  }
  CHECK(failed >= 3);
  CHECK(completed >= 1);
}

TEST_CASE("a live run reads every time: readers never catch a write half-done", "[runner][safety]") {
  // A run that writes a row every step; readers open it over and over meanwhile. Before the
  // run file was written by copy and rename, 5-16 of 10-19 such reads failed.
  const fs::path dir = fs::temp_directory_path() / "genlab_tests" / "live_reads";
  fs::remove_all(dir);  // the killed writer of an earlier time leaves its lock
  fs::create_directories(dir);
  const std::string cfg = (dir / "live.yaml").string(), path = (dir / "live.h5").string();
  std::ofstream(cfg) << kDisk;
  const pid_t pid = genlab::testing::spawn_genlab_process(
      {"run", cfg, "output.path=" + path, "train.steps=100000000", "train.log_every=1", "train.checkpoint_every=7",
       "train.eval_every=0"});
  for (int i = 0; i < 2000 && !fs::exists(path); ++i) usleep(5000);
  int reads = 0, failures = 0;
  size_t rows = 0;
  std::string first_failure;
  for (int i = 0; i < 300; ++i) {
    try {
      const RunFile f = RunFile::open(path);
      CHECK(f.attrs().at("status") == "running");
      const auto train = f.read_columns("train");
      if (train.count("step")) rows = train.at("step").size();
      ++reads;
    } catch (const std::exception& e) {
      if (failures++ == 0) first_failure = e.what();
    }
    usleep(2000);
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  INFO(first_failure);
  CHECK(failures == 0);
  CHECK(reads == 300);
  CHECK(rows > 20);  // it was writing all along
}
