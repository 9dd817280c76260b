// Philox 4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11):
// a counter-based generator. Output block = philox(counter, key); no hidden state,
// so any element of any stream can be computed directly, in parallel, on any device.
//
// Everything here is compiled for the host and (by nvcc) for CUDA devices, and gives the
// same bits on both: the generator is integer arithmetic, and the floating-point steps
// (uniforms, Box-Muller) use only IEEE operations that both round the same way (+, -,
// *, /, sqrtf, fmaf), never the math library, whose logf/sinf/cosf differ between glibc
// and CUDA in the last bit. Every multiply-add is an explicit fmaf and no other sum takes
// an inexact product, so a compiler's contraction of a*b+c into an FMA (GCC with FMA
// hardware, nvcc by default) cannot change a bit either.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "genlab/core/host_device.h"

namespace genlab {

struct PhiloxBlock {
  uint32_t v[4];
  GENLAB_HD uint32_t& operator[](int i) { return v[i]; }
  GENLAB_HD uint32_t operator[](int i) const { return v[i]; }
  friend bool operator==(const PhiloxBlock& a, const PhiloxBlock& b) {
    return a.v[0] == b.v[0] && a.v[1] == b.v[1] && a.v[2] == b.v[2] && a.v[3] == b.v[3];
  }
};
struct PhiloxKey {
  uint32_t v[2];
};

GENLAB_HD inline PhiloxBlock philox4x32_10(PhiloxBlock ctr, PhiloxKey key) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      key.v[0] += kW0;
      key.v[1] += kW1;
    }
    const uint64_t p0 = static_cast<uint64_t>(kM0) * ctr[0];
    const uint64_t p1 = static_cast<uint64_t>(kM1) * ctr[2];
    ctr = {{static_cast<uint32_t>(p1 >> 32) ^ ctr[1] ^ key.v[0], static_cast<uint32_t>(p1),
            static_cast<uint32_t>(p0 >> 32) ^ ctr[3] ^ key.v[1], static_cast<uint32_t>(p0)}};
  }
  return ctr;
}

// Block number `block` of the stream (key, counter): the 128-bit counter is
// counter + block, the 64-bit key split into two words.
GENLAB_HD inline PhiloxBlock philox_block(uint64_t key, uint64_t counter, uint64_t block) {
  const uint64_t c = counter + block;
  const uint32_t carry = c < counter ? 1u : 0u;
  return philox4x32_10({{static_cast<uint32_t>(c), static_cast<uint32_t>(c >> 32), carry, 0u}},
                       {{static_cast<uint32_t>(key), static_cast<uint32_t>(key >> 32)}});
}

// Uniform in the open interval (0, 1), so log(u) and log(-log u) are always finite.
// (x >> 8) + 0.5 needs 25 significant bits at the top of the range: 2^24 - 0.5 rounds to
// 2^24 in float, so the largest input gave exactly 1 (and a Gumbel draw of +inf, once in
// 2^24 draws). The cap keeps it just below 1 and leaves every other value as it was.
GENLAB_HD inline float uint_to_open_unit(uint32_t x) {
  const float u = (static_cast<float>(x >> 8) + 0.5f) * (1.0f / 16777216.0f);
  return u < 0x1.fffffep-1f ? u : 0x1.fffffep-1f;
}

namespace portable {

GENLAB_HD inline uint32_t float_bits(float f) {
  uint32_t b;
  memcpy(&b, &f, sizeof b);
  return b;
}
GENLAB_HD inline float bits_float(uint32_t b) {
  float f;
  memcpy(&f, &b, sizeof f);
  return f;
}

// log(u) for a normal float u > 0 (here u in (0, 1)), within 2 ulp: u = m 2^e with m in
// [sqrt(1/2), sqrt(2)), log m = 2 atanh(s), s = (m - 1) / (m + 1), |s| < 0.172, whose odd
// series to s^9 is below float's resolution; e ln 2 in two parts (ln2_hi e is exact).
GENLAB_HD inline float log(float u) {
  const uint32_t b = float_bits(u);
  int e = static_cast<int>((b >> 23) & 0xffu) - 127;
  float m = bits_float((b & 0x7fffffu) | 0x3f800000u);  // [1, 2)
  if (m > 1.41421356f) {
    m = m * 0.5f;  // exact
    e += 1;
  }
  const float s = (m - 1.0f) / (m + 1.0f);  // m - 1 is exact (Sterbenz)
  const float z = s * s;
  float p = fmaf(z, 1.0f / 9.0f, 1.0f / 7.0f);
  p = fmaf(z, p, 1.0f / 5.0f);
  p = fmaf(z, p, 1.0f / 3.0f);
  const float two_s = 2.0f * s;  // exact
  const float log_m = fmaf(two_s, z * p, two_s);
  const float fe = static_cast<float>(e);
  constexpr float kLn2Hi = 0.693145751953125f;        // 0x3f317200: 16 bits, e * it is exact
  constexpr float kLn2Lo = 1.428606765330187e-06f;    // ln 2 - kLn2Hi
  return fmaf(fe, kLn2Hi, fmaf(fe, kLn2Lo, log_m));
}

// cos and sin of 2 pi u for u in [0, 1], within 2 ulp (absolute 1e-7 near the zeros):
// u = q / 4 + r exactly (q the nearest quarter turn, |r| <= 1/8, Sterbenz), then Taylor
// series of sin and cos at x = 2 pi r, |x| <= pi / 4, to x^11 and x^12.
GENLAB_HD inline void cos_sin_turns(float u, float& c, float& s) {
  const int q = static_cast<int>(u * 4.0f + 0.5f);
  const float r = u - static_cast<float>(q) * 0.25f;
  const float x = r * 6.28318530717958648f;
  const float x2 = x * x;
  float ps = fmaf(x2, -2.5052108385e-8f, 2.7557319224e-6f);
  ps = fmaf(x2, ps, -1.9841269841e-4f);
  ps = fmaf(x2, ps, 8.3333333333e-3f);
  ps = fmaf(x2, ps, -1.6666666667e-1f);
  const float sin_x = fmaf(x * x2, ps, x);
  float pc = fmaf(x2, 2.0876756988e-9f, -2.7557319224e-7f);
  pc = fmaf(x2, pc, 2.4801587302e-5f);
  pc = fmaf(x2, pc, -1.3888888889e-3f);
  pc = fmaf(x2, pc, 4.1666666667e-2f);
  pc = fmaf(x2, pc, -0.5f);
  const float cos_x = fmaf(x2, pc, 1.0f);
  switch (q & 3) {
    case 0: c = cos_x; s = sin_x; break;
    case 1: c = -sin_x; s = cos_x; break;
    case 2: c = -cos_x; s = -sin_x; break;
    default: c = sin_x; s = -cos_x; break;
  }
}

}  // namespace portable

// Two standard normals from two uniforms (Box-Muller), the same bits on every device.
GENLAB_HD inline void box_muller(uint32_t a, uint32_t b, float& z0, float& z1) {
  const float u0 = uint_to_open_unit(a), u1 = uint_to_open_unit(b);
  const float r = sqrtf(-2.0f * portable::log(u0));
  float c, s;
  portable::cos_sin_turns(u1, c, s);
  z0 = r * c;
  z1 = r * s;
}

// The four values of one Philox block for a distribution (0 uniform, 1 normal,
// 2 rademacher: RandomDist's order), as both backends' random kernels write them.
GENLAB_HD inline void philox_values(int dist, const PhiloxBlock& v, float out[4]) {
  if (dist == 1) {
    box_muller(v[0], v[1], out[0], out[1]);
    box_muller(v[2], v[3], out[2], out[3]);
  } else if (dist == 0) {
    for (int l = 0; l < 4; ++l) out[l] = uint_to_open_unit(v[l]);
  } else {
    for (int l = 0; l < 4; ++l) out[l] = (v[l] >> 31) ? 1.0f : -1.0f;
  }
}

}  // namespace genlab
