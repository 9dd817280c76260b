// The IDX format of MNIST and Fashion-MNIST (big-endian header: two zero bytes, a type
// byte (0x08 = unsigned byte), the number of dimensions, then each dimension as a 32-bit
// count, then the data), raw or gzip-compressed. Errors name the file and what is wrong:
// a wrong magic number, an unsupported type, a truncated file.
//
//   IdxArray images = read_idx("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz");
//   images.dims == {60000, 28, 28}
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace genlab {

struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;  // row-major
};

IdxArray read_idx(const std::string& path);

}  // namespace genlab
