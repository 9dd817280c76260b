// Philox 4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11):
// a counter-based generator. Output block = philox(counter, key); no hidden state,
// so any element of any stream can be computed directly, in parallel, on any device.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

namespace genlab {

using PhiloxBlock = std::array<uint32_t, 4>;

inline PhiloxBlock philox4x32_10(PhiloxBlock ctr, std::array<uint32_t, 2> key) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      key[0] += kW0;
      key[1] += kW1;
    }
    const uint64_t p0 = static_cast<uint64_t>(kM0) * ctr[0];
    const uint64_t p1 = static_cast<uint64_t>(kM1) * ctr[2];
    ctr = {static_cast<uint32_t>(p1 >> 32) ^ ctr[1] ^ key[0], static_cast<uint32_t>(p1),
           static_cast<uint32_t>(p0 >> 32) ^ ctr[3] ^ key[1], static_cast<uint32_t>(p0)};
  }
  return ctr;
}

// Block number `block` of the stream (key, counter): the 128-bit counter is
// counter + block, the 64-bit key split into two words.
inline PhiloxBlock philox_block(uint64_t key, uint64_t counter, uint64_t block) {
  const uint64_t c = counter + block;
  const uint64_t carry = c < counter ? 1 : 0;
  return philox4x32_10({static_cast<uint32_t>(c), static_cast<uint32_t>(c >> 32),
                        static_cast<uint32_t>(carry), 0u},
                       {static_cast<uint32_t>(key), static_cast<uint32_t>(key >> 32)});
}

// Uniform in the open interval (0, 1), so log(u) and log(-log u) are always finite.
// (x >> 8) + 0.5 needs 25 significant bits at the top of the range: 2^24 - 0.5 rounds to
// 2^24 in float, so the largest input gave exactly 1 (and a Gumbel draw of +inf, once in
// 2^24 draws). The cap keeps it just below 1 and leaves every other value as it was.
inline float uint_to_open_unit(uint32_t x) {
  return std::min((static_cast<float>(x >> 8) + 0.5f) * (1.0f / 16777216.0f), 0x1.fffffep-1f);
}

// Two standard normals from two uniforms (Box-Muller).
inline void box_muller(uint32_t a, uint32_t b, float& z0, float& z1) {
  const float u0 = uint_to_open_unit(a), u1 = uint_to_open_unit(b);
  const float r = std::sqrt(-2.0f * std::log(u0));
  const float theta = 6.283185307179586f * u1;
  z0 = r * std::cos(theta);
  z1 = r * std::sin(theta);
}

}  // namespace genlab
