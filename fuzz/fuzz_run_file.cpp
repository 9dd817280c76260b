// libFuzzer target: the run-file readers (attributes, columns, tables, tensors) on a
// damaged file. Any input reads, or fails with an exception; never a crash.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>

#include "genlab/experiments/run/run_file.h"
#include "genlab/experiments/eval/variants_table.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = "/tmp/genlab_fuzz_run_" + std::to_string(getpid()) + ".h5";
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  try {
    const genlab::RunFile run = genlab::RunFile::open(path);
    run.attrs();
    run.group_attrs("checkpoint");
    for (const char* group : {"train", "eval", "test", "likelihood"}) run.read_columns(group);
    run.read_summary();
    if (run.exists("/model")) run.read_tensors("model");
    genlab::compare_runs({path});
  } catch (const std::exception&) {
  }
  std::remove(path.c_str());
  return 0;
}
