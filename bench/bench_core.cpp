// Core benchmarks (not tests): GEMM GFLOP/s against a measured float32 FMA peak, and
// one training step of the 4x256 SiLU MLP of issue 2. Prints one JSON object per
// measurement so bench/compare_mlp_step.py can put it beside PyTorch's.
//
//   build/bench_core peak            # FMA throughput per thread count
//   build/bench_core gemm            # 256, 1024, 2048 squared on 1 and 2 threads
//   build/bench_core mlp --threads 2 # steps/s of the MLP training step
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "genlab/core/autograd.h"
#include "genlab/core/backend.h"
#include "genlab/core/nn/layers.h"
#include "genlab/core/ops.h"
#include "genlab/core/optim/optimizer.h"
#include "genlab/core/parallel.h"

using namespace genlab;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// The float32 peak, measured: each thread runs 12 independent chains of 16-wide FMAs
// (enough to cover FMA latency x ports), counting 2 FLOP per lane per FMA.
double measured_fma_peak_gflops(int threads) {
#ifdef __AVX512F__
  const long iters = 20'000'000;
  std::vector<double> runs;
  for (int r = 0; r < 5; ++r) {
    const auto t0 = Clock::now();
    float sink = 0;
#pragma omp parallel num_threads(threads) reduction(+ : sink)
    {
      __m512 acc[12];
      for (int i = 0; i < 12; ++i) acc[i] = _mm512_set1_ps(0.001f * i);
      const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
      for (long it = 0; it < iters / 12; ++it)
        for (int i = 0; i < 12; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
      for (int i = 1; i < 12; ++i) acc[0] = _mm512_add_ps(acc[0], acc[i]);
      // Not _mm512_reduce_add_ps: GCC 12 warns inside it (bug 105593).
      alignas(64) float lanes[16];
      _mm512_store_ps(lanes, acc[0]);
      for (const float v : lanes) sink += v;
    }
    const double s = seconds_since(t0);
    if (sink == 12345.0f) std::printf(" ");  // keep the loop alive
    runs.push_back(2.0 * 16 * (iters / 12) * 12 * threads / s / 1e9);
  }
  return median(runs);
#else
  (void)threads;
  return 0.0;  // AVX-512 unavailable: no peak estimate
#endif
}

void bench_peak() {
  for (int t : {1, 2})
    std::printf("{\"bench\": \"fma_peak\", \"threads\": %d, \"gflops\": %.1f}\n", t, measured_fma_peak_gflops(t));
}

void bench_gemm() {
  for (int n : {256, 1024, 2048})
    for (int t : {1, 2}) {
      set_num_threads(t);
      Generator g(0);
      const Tensor a = g.normal({n, n}), b = g.normal({n, n});
      NoGradGuard no_grad;
      matmul(a, b);  // warm-up (and the allocation cache)
      const int reps = n == 256 ? 200 : n == 1024 ? 8 : 2;
      std::vector<double> gflops;
      for (int r = 0; r < 7; ++r) {
        const auto t0 = Clock::now();
        for (int i = 0; i < reps; ++i) matmul(a, b);
        gflops.push_back(2.0 * n * n * n * reps / seconds_since(t0) / 1e9);
      }
      std::printf("{\"bench\": \"gemm\", \"n\": %d, \"threads\": %d, \"gflops\": %.1f}\n", n, t, median(gflops));
    }
}

// The step: MLP 66 -> 4 x 256 (SiLU) -> 2, batch 4096, MSE, Adam.
void bench_mlp(int threads, int runs, int steps_per_run) {
  set_num_threads(threads);
  Generator g(0);
  MLP net({.in = 66, .out = 2, .width = 256, .depth = 4, .activation = "silu"}, g);
  Adam opt(net.named_parameters(), {.lr = 1e-3f});
  const Tensor x = g.normal({4096, 66}), y = g.normal({4096, 2});
  auto step = [&] {
    const Tensor loss = mse(net.forward(x), y);
    opt.zero_grad();
    loss.backward();
    opt.step();
    return loss;
  };
  for (int i = 0; i < 5; ++i) step();
  std::vector<double> rates;
  for (int r = 0; r < runs; ++r) {
    const auto t0 = Clock::now();
    for (int i = 0; i < steps_per_run; ++i) step();
    rates.push_back(steps_per_run / seconds_since(t0));
  }
  std::printf("{\"bench\": \"mlp_step\", \"impl\": \"genlab\", \"threads\": %d, \"steps_per_s\": %.2f, "
              "\"runs\": [", threads, median(rates));
  for (size_t i = 0; i < rates.size(); ++i) std::printf("%s%.2f", i ? ", " : "", rates[i]);
  std::printf("]}\n");
}

}  // namespace

int main(int argc, char** argv) {
  const std::string what = argc > 1 ? argv[1] : "all";
  int threads = num_threads(), runs = 7, steps = 20;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--threads")) threads = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--runs")) runs = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--steps")) steps = std::stoi(argv[i + 1]);
  }
  if (what == "peak" || what == "all") bench_peak();
  if (what == "gemm" || what == "all") bench_gemm();
  if (what == "mlp" || what == "all") bench_mlp(threads, runs, steps);
  return 0;
}
