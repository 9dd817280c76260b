#include "genlab/experiments/data/idx.h"

#include <cstdio>

#include <zlib.h>

#include <algorithm>
#include <stdexcept>

namespace genlab {
namespace {

// Reads exactly n bytes or throws "truncated"; gzread also reads uncompressed files as is.
void read_exact(gzFile f, void* out, size_t n, const std::string& path, const std::string& what) {
  size_t done = 0;
  auto* p = static_cast<uint8_t*>(out);
  while (done < n) {
    const int chunk = static_cast<int>(std::min<size_t>(n - done, 1 << 30));
    const int got = gzread(f, p + done, static_cast<unsigned>(chunk));
    if (got < 0) throw std::runtime_error(path + ": read error in the " + what);
    if (got == 0)
      throw std::runtime_error(path + ": truncated: the " + what + " needs " + std::to_string(n) +
                               " bytes, the file has " + std::to_string(done));
    done += static_cast<size_t>(got);
  }
}

}  // namespace

IdxArray read_idx(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw std::runtime_error(path + ": cannot open the IDX file");
  struct Closer {
    gzFile f;
    ~Closer() { gzclose(f); }
  } closer{f};
  uint8_t magic[4];
  read_exact(f, magic, 4, path, "header");
  if (magic[0] != 0 || magic[1] != 0)
    throw std::runtime_error(
        path + ": wrong magic number (not an IDX file: it must start with two zero bytes)");
  if (magic[2] != 0x08)
  {
    char code[8];
    std::snprintf(code, sizeof code, "0x%02X", static_cast<unsigned>(magic[2]));
    // IDX's codes: 0x08 unsigned byte, 0x09 signed byte, 0x0B short, 0x0C int, 0x0D float, 0x0E double.
    throw std::runtime_error(path + ": IDX element type " + code +
                             " is not supported: genlab reads unsigned bytes (0x08), as the MNIST files hold");
  }
  const int rank = magic[3];
  if (rank < 1 || rank > 4)
    throw std::runtime_error(path + ": wrong magic number (" + std::to_string(rank) +
                             " dimensions)");
  IdxArray a;
  size_t total = 1;
  for (int i = 0; i < rank; ++i) {
    uint8_t b[4];
    read_exact(f, b, 4, path, "header");
    const int64_t n = (int64_t{b[0]} << 24) | (int64_t{b[1]} << 16) | (int64_t{b[2]} << 8) | b[3];
    a.dims.push_back(n);
    if (__builtin_mul_overflow(total, static_cast<size_t>(n), &total))
      throw std::runtime_error(path + ": the header's sizes overflow (a damaged IDX file)");
  }
  // Read in chunks, growing with what the file holds: a header that claims terabytes
  // then fails as a truncated file instead of asking for that much memory up front.
  constexpr size_t kChunk = size_t{16} << 20;
  while (a.data.size() < total) {
    const size_t done = a.data.size(), n = std::min(kChunk, total - done);
    a.data.resize(done + n);
    try {
      read_exact(f, a.data.data() + done, n, path, "data");
    } catch (const std::runtime_error&) {
      throw std::runtime_error(path + ": truncated: the header claims " + std::to_string(total) +
                               " bytes of data, the file holds fewer (" +
                               std::to_string(done / (1 << 20)) + " MiB read so far)");
    }
  }
  return a;
}

}  // namespace genlab
