#include "genlab/core/backend.h"

#include <dlfcn.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "genlab/core/eigen.h"

#include "genlab/core/backend/cuda_stand_in.h"
#include "genlab/core/parallel.h"

namespace genlab {

Backend& cpu_backend();

namespace {

struct CudaState {
  std::mutex mutex;
  int index = 0;
  bool opened = false;
  Backend* backend = nullptr;
  std::string error;
};
CudaState& cuda_state() {
  static CudaState* state = new CudaState;  // never destroyed: tensors may outlive statics
  return *state;
}

// The folder of the binary or shared library this code was linked into: the build puts
// libgenlab_cuda.so beside the executables, an install in lib/ beside bin/.
std::string own_folder() {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&own_folder), &info) == 0 || !info.dli_fname) return "";
  const std::string path = info.dli_fname;
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

using CreateFn = int (*)(int, Backend**, char*, size_t);

// Opens libgenlab_cuda.so and creates the backend; on failure sets state.error.
void open_cuda(CudaState& state) {
  const std::string prefix = "device: cuda requested, but ";
#ifndef GENLAB_CUDA_LIBRARY
  state.error = prefix + "genlab was built without CUDA (nvcc was not found at configure "
                "time; configure with -DGENLAB_CUDA=ON and the CUDA toolkit on PATH)";
#else
  std::vector<std::string> candidates;
  if (const char* path = std::getenv("GENLAB_CUDA_LIBRARY")) candidates.push_back(path);
  const std::string folder = own_folder();
  if (!folder.empty()) {
    candidates.push_back(folder + "/" GENLAB_CUDA_LIBRARY);
    candidates.push_back(folder + "/../lib/" GENLAB_CUDA_LIBRARY);
  }
  candidates.push_back(GENLAB_CUDA_LIBRARY);  // the loader's own search path
  std::string tried;
  void* handle = nullptr;
  for (const std::string& path : candidates) {
    if (path.find('/') != std::string::npos && access(path.c_str(), F_OK) != 0) continue;
    handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle) break;
    const char* error = dlerror();  // once: a second call returns null
    const std::string why = error ? error : "not loadable";
    // The bare name not found on the loader's path is "absent", not "unloadable".
    if (path.find('/') == std::string::npos &&
        why.rfind(path + ": cannot open shared object file", 0) == 0)
      continue;
    tried += "\n  " + path + ": " + why;
  }
  if (!handle) {
    // Not there at all: the files were moved. There but not loadable: almost always
    // cuBLAS 13 missing from the loader's path (the driver is only needed later).
    state.error = tried.empty()
                      ? prefix + GENLAB_CUDA_LIBRARY " was not found beside " + folder +
                            " (set GENLAB_CUDA_LIBRARY to its path)"
                      : prefix + GENLAB_CUDA_LIBRARY " could not be loaded (is CUDA 13's "
                                 "lib64, with libcublas.so.13, on LD_LIBRARY_PATH?):" + tried;
    return;
  }
  auto create = reinterpret_cast<CreateFn>(dlsym(handle, "genlab_cuda_create_backend"));
  if (!create) {
    state.error = prefix + GENLAB_CUDA_LIBRARY " has no genlab_cuda_create_backend (a "
                  "library from another genlab version?)";
    return;
  }
  char message[1024] = {0};
  Backend* backend = nullptr;
  if (create(state.index, &backend, message, sizeof message) != 0 || !backend) {
    state.error = prefix + message;
    return;
  }
  state.backend = backend;
#endif
}

}  // namespace

Backend& backend(Device device) {
  if (device == Device::cpu) return cpu_backend();
  CudaState& state = cuda_state();
  std::lock_guard<std::mutex> lock(state.mutex);
  if (!state.opened) {
    state.opened = true;
    open_cuda(state);
  }
  if (!state.backend) throw std::runtime_error(state.error);
  return *state.backend;
}

void serve_cuda_with(Backend& stand_in) {
  CudaState& state = cuda_state();
  std::lock_guard<std::mutex> lock(state.mutex);
  if (state.opened && state.backend != &stand_in)
    throw std::logic_error("serve_cuda_with: the cuda backend was opened already");
  state.opened = true;
  state.backend = &stand_in;
}

void select_cuda_device(int index) {
  CudaState& state = cuda_state();
  std::lock_guard<std::mutex> lock(state.mutex);
  if (index < 0) throw std::invalid_argument("cuda:" + std::to_string(index) + ": negative index");
  if (state.opened && state.index != index)
    throw std::logic_error("cuda:" + std::to_string(index) + " asked for after cuda:" +
                           std::to_string(state.index) + " was opened in this process");
  state.index = index;
}

int selected_cuda_device() { return cuda_state().index; }

bool built_with_cuda() {
#ifdef GENLAB_CUDA_LIBRARY
  return true;
#else
  return false;
#endif
}

bool cuda_available() {
  try {
    backend(Device::cuda);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

size_t physical_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<size_t>(pages) * static_cast<size_t>(page) : 0;
}

namespace {

// A number in a file (cgroup limits); 0 for "max", a missing file or anything else.
size_t number_in(const std::string& path) {
  std::ifstream in(path);
  std::string text;
  if (!(in >> text) || text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return 0;
  return static_cast<size_t>(std::strtoull(text.c_str(), nullptr, 10));
}

std::string text_of(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A cgroup file system mounted here: where, which part of its hierarchy (`root`), and
// whether it is v2 or v1's memory controller.
struct CgroupMount {
  std::string root, point;
  bool v2 = false;
};

// The memory cgroup mounts of a /proc/<pid>/mountinfo text: "id parent dev ROOT POINT
// options [optional fields] - FSTYPE source SUPEROPTIONS".
std::vector<CgroupMount> cgroup_mounts(const std::string& mountinfo) {
  std::vector<CgroupMount> mounts;
  std::istringstream lines(mountinfo);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string x; words >> x;) w.push_back(x);
    const auto dash = std::find(w.begin(), w.end(), "-");
    if (w.size() < 5 || dash == w.end() || dash + 1 == w.end()) continue;
    const std::string type = *(dash + 1), super = dash + 3 < w.end() ? *(dash + 3) : "";
    if (type == "cgroup2")
      mounts.push_back({w[3], w[4], true});
    else if (type == "cgroup" && ("," + super + ",").find(",memory,") != std::string::npos)
      mounts.push_back({w[3], w[4], false});
  }
  return mounts;
}

}  // namespace

size_t cgroup_memory_limit(const std::string& proc_cgroup, const std::string& mountinfo,
                           const std::string& fs_root, std::string& source) {
  const std::vector<CgroupMount> mounts = cgroup_mounts(mountinfo);
  size_t best = 0;
  std::istringstream lines(proc_cgroup);
  for (std::string line; std::getline(lines, line);) {
    // "0::/path" (v2) or "N:memory:/path" / "N:cpu,memory:/path" (v1)
    const auto a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    const bool v2 = controllers.empty();
    if (!v2 && ("," + controllers + ",").find(",memory,") == std::string::npos) continue;
    for (const auto& m : mounts) {
      if (m.v2 != v2) continue;
      // The cgroup's folder under the mount point: its path less the mounted root (inside
      // a container's cgroup namespace the path is already relative to it).
      std::string rel = path;
      if (m.root != "/" && rel.rfind(m.root, 0) == 0) rel = rel.substr(m.root.size());
      if (rel.empty() || rel[0] != '/') rel = "/" + rel;
      const std::string leaf = v2 ? "/memory.max" : "/memory.limit_in_bytes";
      // The smallest limit from the cgroup up to the mount's root: a parent's limit (a
      // Slurm job's, with the process in a step below it) binds the child too.
      std::vector<std::string> dirs;  // the cgroup, its parents, "" (the mount's root)
      for (std::string d = rel; !d.empty() && d != "/"; d = d.substr(0, d.rfind('/'))) dirs.push_back(d);
      dirs.push_back("");
      for (const auto& dir : dirs) {
        const std::string file = fs_root + m.point + dir + leaf;
        const size_t limit = number_in(file);
        // v1 says "no limit" with a huge number (PAGE_COUNTER_MAX pages).
        if (limit > 0 && limit < (size_t{1} << 60) && (best == 0 || limit < best))
          best = limit, source = "the cgroup limit " + file.substr(fs_root.size());
      }
    }
  }
  return best;
}

namespace {

}  // namespace

MemoryLimit memory_limit() {
  static const MemoryLimit limit = [] {
    MemoryLimit m{physical_memory_bytes(), "this machine's memory"};
    auto lower = [&m](size_t bytes, const std::string& source) {
      if (bytes > 0 && (m.bytes == 0 || bytes < m.bytes)) m = {bytes, source};
    };
    std::string cgroup;
    lower(cgroup_memory_limit(text_of("/proc/self/cgroup"), text_of("/proc/self/mountinfo"), "", cgroup),
          cgroup);
    for (const auto& [resource, name] : {std::pair{RLIMIT_AS, "RLIMIT_AS (ulimit -v)"}, std::pair{RLIMIT_DATA, "RLIMIT_DATA (ulimit -d)"}}) {
      rlimit r{};
      if (getrlimit(resource, &r) == 0 && r.rlim_cur != RLIM_INFINITY) lower(static_cast<size_t>(r.rlim_cur), name);
    }
    return m;
  }();
  return limit;
}

size_t available_memory_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  size_t kib = 0;
  std::string unit;
  while (in >> key >> kib >> unit)
    if (key == "MemAvailable:") return kib * 1024;
  return 0;
}

void set_num_threads(int n) {
  omp_set_num_threads(n);
  Eigen::setNbThreads(n);
}

}  // namespace genlab
