// Benchmarks (not tests) of the image and sequence ops, one JSON line per measurement,
// for bench/compare_ops.py to put beside PyTorch's:
//
//   build/bench_ops conv N,C,H,W,O,kh,kw,stride,pad ... [--runs R]
//       forward, input gradient (conv_transpose2d) and weight gradient, median seconds
//   build/bench_ops attention B,H,T,D [--fused 1|0] [--runs R]
//       forward + backward median seconds and the backend's peak bytes in use
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "genlab/core/autograd.h"
#include "genlab/core/backend.h"
#include "genlab/core/ops.h"
#include "genlab/core/parallel.h"
#include "genlab/core/rng.h"

using namespace genlab;
using Clock = std::chrono::steady_clock;

namespace {

double median_seconds(int runs, const std::function<void()>& fn) {
  fn();  // warm-up: caches, the allocator's free lists
  std::vector<double> t;
  for (int r = 0; r < runs; ++r) {
    const auto t0 = Clock::now();
    fn();
    t.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

std::vector<int64_t> numbers(const std::string& spec) {
  std::vector<int64_t> v;
  std::stringstream in(spec);
  std::string item;
  while (std::getline(in, item, ',')) v.push_back(std::stoll(item));
  return v;
}

void conv(const std::string& spec, int runs) {
  const auto s = numbers(spec);  // N, C, H, W, O, kh, kw, stride, pad
  Generator g(0);
  const Tensor x = g.normal({s[0], s[1], s[2], s[3]});
  const Tensor w = g.normal({s[4], s[1], s[5], s[6]}, 0.0f, 0.1f);
  Conv2dOptions o;
  o.stride = s[7];
  o.padding = s[8];
  NoGradGuard no_grad;
  Tensor y = conv2d(x, w, Tensor(), o);
  const Tensor dy = g.normal(y.shape());
  const double fwd = median_seconds(runs, [&] { y = conv2d(x, w, Tensor(), o); });
  const Size2 op((s[2] + 2 * s[8] - s[5]) % s[7], (s[3] + 2 * s[8] - s[6]) % s[7]);
  const double dx = median_seconds(runs, [&] { conv_transpose2d(dy, w, Tensor(), o, op); });
  const double dw = median_seconds(runs, [&] { conv2d_weight_grad(x, dy, w.shape(), o); });
  std::printf("{\"bench\": \"conv\", \"impl\": \"genlab\", \"threads\": %d, \"spec\": \"%s\", "
              "\"forward_s\": %.6g, \"input_grad_s\": %.6g, \"weight_grad_s\": %.6g}\n",
              num_threads(), spec.c_str(), fwd, dx, dw);
}

void attention(const std::string& spec, bool fused, int runs) {
  const auto s = numbers(spec);  // B, H, T, D
  Generator g(0);
  const Tensor q = g.normal({s[0], s[1], s[2], s[3]}).requires_grad_();
  const Tensor k = g.normal({s[0], s[1], s[2], s[3]}).requires_grad_();
  const Tensor v = g.normal({s[0], s[1], s[2], s[3]}).requires_grad_();
  const Tensor dy = g.normal({s[0], s[1], s[2], s[3]});
  Backend& cpu = backend(Device::cpu);
  auto step = [&] {
    const Tensor y = fused ? scaled_dot_product_attention(q, k, v) : naive_attention(q, k, v);
    grad({y}, {q, k, v}, {dy});
  };
  step();
  const size_t before = cpu.memory_stats().in_use;
  cpu.reset_peak_memory();
  step();
  const size_t peak = cpu.memory_stats().peak_in_use - before;
  const double t = median_seconds(runs, step);
  std::printf("{\"bench\": \"attention\", \"impl\": \"genlab %s\", \"threads\": %d, \"spec\": "
              "\"%s\", \"forward_backward_s\": %.6g, \"peak_bytes\": %zu}\n",
              fused ? "fused" : "naive", num_threads(), spec.c_str(), t, peak);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_ops conv|attention SPEC... [--runs R] [--fused 1|0]\n");
    return 2;
  }
  const std::string mode = argv[1];
  int runs = 7;
  bool fused = true;
  std::vector<std::string> specs;
  for (int i = 2; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--runs") && i + 1 < argc) runs = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--fused") && i + 1 < argc) fused = std::atoi(argv[++i]) != 0;
    else specs.push_back(argv[i]);
  }
  for (const auto& spec : specs) {
    if (mode == "conv") conv(spec, runs);
    else attention(spec, fused, runs);
    std::fflush(stdout);
  }
  return 0;
}
