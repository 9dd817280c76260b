// libFuzzer target: the IDX reader (raw or gzip). Any input reads, or fails with a
// std::runtime_error naming the file; never a crash or an allocation the file cannot back.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "genlab/experiments/data/idx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = "/tmp/genlab_fuzz_idx_" + std::to_string(getpid());
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  try {
    const genlab::IdxArray a = genlab::read_idx(path);
    size_t total = 1;
    for (const int64_t d : a.dims) total *= static_cast<size_t>(d);
    if (total != a.data.size()) std::abort();
  } catch (const std::runtime_error&) {
  }
  std::remove(path.c_str());
  return 0;
}
