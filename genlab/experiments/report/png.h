// 8-bit grayscale PNG in memory (libpng) and base64, for pictures embedded in
// the HTML report as data: URIs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace genlab {

// PNG bytes of a [height, width] 8-bit grayscale image (row-major pixels).
std::string encode_png_gray(const std::vector<uint8_t>& pixels, int64_t height, int64_t width);

std::string base64(const std::string& bytes);

}  // namespace genlab
