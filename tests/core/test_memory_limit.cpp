// The memory limit a process may use, from its cgroup (what Slurm's --mem, Docker and
// systemd set): v2, v1 and hybrid mounts, limits set on a parent, "no limit" spellings.
// The files are written under a folder standing for the root of the file system.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "genlab/core/backend.h"

using namespace genlab;
namespace fs = std::filesystem;

namespace {

struct FakeRoot {
  fs::path dir = fs::temp_directory_path() / "genlab_tests" / "cgroup_root";
  FakeRoot() {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void put(const std::string& path, const std::string& text) const {
    const fs::path p = dir / path.substr(1);
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  std::string root() const { return dir.string(); }
};

const char* kV2Only = "25 1 0:22 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n";
const char* kHybrid =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "36 31 0:33 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

}  // namespace

TEST_CASE("cgroup memory limits: v2, v1, hybrid, a parent's limit, none", "[core][memory]") {
  const FakeRoot fake;
  std::string source;
  SECTION("v2: the process's own memory.max") {
    fake.put("/sys/fs/cgroup/job/memory.max", "6442450944\n");
    CHECK(cgroup_memory_limit("0::/job\n", kV2Only, fake.root(), source) == 6442450944u);
    CHECK(source == "the cgroup limit /sys/fs/cgroup/job/memory.max");
  }
  SECTION("v2: a limit on the parent binds a child that says max") {
    fake.put("/sys/fs/cgroup/slurm/job_7/memory.max", "2147483648\n");
    fake.put("/sys/fs/cgroup/slurm/job_7/step_0/memory.max", "max\n");
    CHECK(cgroup_memory_limit("0::/slurm/job_7/step_0\n", kV2Only, fake.root(), source) == 2147483648u);
    CHECK(source == "the cgroup limit /sys/fs/cgroup/slurm/job_7/memory.max");
  }
  SECTION("v2: the smallest on the way up") {
    fake.put("/sys/fs/cgroup/a/memory.max", "3000000000\n");
    fake.put("/sys/fs/cgroup/a/b/memory.max", "1000000000\n");
    CHECK(cgroup_memory_limit("0::/a/b\n", kV2Only, fake.root(), source) == 1000000000u);
  }
  SECTION("hybrid: v1's memory controller and the v2 tree under unified/") {
    fake.put("/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes", "4294967296\n");
    fake.put("/sys/fs/cgroup/unified/memory.max", "max\n");
    const std::string cgroup = "9:name=systemd:/\n4:memory:/docker/abc\n1:cpu,cpuacct:/\n0::/\n";
    CHECK(cgroup_memory_limit(cgroup, kHybrid, fake.root(), source) == 4294967296u);
    CHECK(source == "the cgroup limit /sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes");
  }
  SECTION("v1: the unlimited spelling (PAGE_COUNTER_MAX pages) is no limit") {
    fake.put("/sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n");
    CHECK(cgroup_memory_limit("4:memory:/\n", kHybrid, fake.root(), source) == 0);
  }
  SECTION("a mount of part of the hierarchy (a container's view): the path is taken below its root") {
    const std::string mountinfo = "40 30 0:40 /docker/abc /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n";
    fake.put("/sys/fs/cgroup/memory/memory.limit_in_bytes", "536870912\n");
    CHECK(cgroup_memory_limit("4:memory:/docker/abc\n", mountinfo, fake.root(), source) == 536870912u);
  }
  SECTION("no cgroup, no memory controller, unreadable files: no limit") {
    CHECK(cgroup_memory_limit("", kV2Only, fake.root(), source) == 0);
    CHECK(cgroup_memory_limit("1:cpu:/x\n", kHybrid, fake.root(), source) == 0);
    CHECK(cgroup_memory_limit("0::/missing\n", kV2Only, fake.root(), source) == 0);
    fake.put("/sys/fs/cgroup/g/memory.max", "garbage\n");
    CHECK(cgroup_memory_limit("0::/g\n", kV2Only, fake.root(), source) == 0);
  }
}

TEST_CASE("memory_limit is at most the machine's memory and names its source", "[core][memory]") {
  const MemoryLimit m = memory_limit();
  CHECK(m.bytes > 0);
  CHECK(m.bytes <= physical_memory_bytes());
  CHECK_FALSE(m.source.empty());
}
