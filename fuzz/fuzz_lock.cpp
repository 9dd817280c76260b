// libFuzzer target: the run lock's parser (genlab/experiments/run/run_lock.h). Any text parses
// without a crash; a readable holder has a printable host and a positive pid, and writing
// it back and parsing again gives the same holder.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "genlab/experiments/run/run_lock.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const genlab::LockHolder h = genlab::parse_lock_text(text);
  if (!h.readable()) return 0;
  if (h.pid <= 0 || h.host.empty()) std::abort();
  for (const char ch : h.host)
    if (static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7f) std::abort();
  const genlab::LockHolder again = genlab::parse_lock_text(genlab::lock_text(h));
  if (again.host != h.host || again.pid != h.pid || again.since != h.since || again.started != h.started)
    std::abort();
  return 0;
}
