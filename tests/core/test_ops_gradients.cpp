// Every differentiable op of genlab/core/ops.h: gradients against central finite differences.
// One table; a new op adds one case (inputs, function, domain).
#include <catch2/catch.hpp>

#include <cmath>

#include "genlab/core/autograd.h"
#include "genlab/core/ops.h"
#include "genlab/core/rng.h"
#include "tests/core/device_under_test.h"
#include "tests/core/gradcheck.h"

using namespace genlab;
using genlab::testing::gradcheck;
using genlab::testing::test_input;

namespace {

struct OpCase {
  const char* name;
  std::vector<Tensor> inputs;
  genlab::testing::OpFn fn;
  std::vector<int> check = {};  // inputs to differentiate (all when empty)
};

Tensor in(const Shape& s, uint64_t seed, float lo = -1.0f, float hi = 1.0f, float gap = 0.0f) {
  return test_input(s, seed, lo, hi, gap);
}
Tensor positive(const Shape& s, uint64_t seed) { return in(s, seed, 0.5f, 2.0f); }
Tensor away_from_zero(const Shape& s, uint64_t seed) { return in(s, seed, -1.0f, 1.0f, 0.05f); }
Tensor indices(const std::vector<int32_t>& v, const Shape& s) { return Tensor::from_indices(v, s); }
Tensor mask(const std::vector<float>& v, const Shape& s) { return Tensor::from_vector(v, s); }

std::vector<OpCase> op_cases() {
  using V = std::vector<Tensor>;
  return {
      // binary, with broadcasting
      {"add", {in({3, 4}, 1), in({3, 4}, 2)}, [](const V& v) { return add(v[0], v[1]); }},
      {"add broadcast row", {in({3, 4}, 1), in({4}, 2)}, [](const V& v) { return add(v[0], v[1]); }},
      {"add broadcast both", {in({3, 1}, 1), in({1, 4}, 2)}, [](const V& v) { return add(v[0], v[1]); }},
      {"sub broadcast scalar", {in({2, 3}, 3), in({}, 4)}, [](const V& v) { return sub(v[0], v[1]); }},
      {"sub broadcast middle", {in({2, 3, 4}, 3), in({3, 1}, 4)}, [](const V& v) { return sub(v[0], v[1]); }},
      {"mul", {in({5}, 5), in({5}, 6)}, [](const V& v) { return mul(v[0], v[1]); }},
      {"mul broadcast", {in({2, 1, 4}, 5), in({3, 1}, 6)}, [](const V& v) { return mul(v[0], v[1]); }},
      {"div", {in({4}, 7), positive({4}, 8)}, [](const V& v) { return div(v[0], v[1]); }},
      {"div broadcast", {in({2, 3}, 7), positive({2, 1}, 8)}, [](const V& v) { return div(v[0], v[1]); }},
      {"pow tensor", {positive({4}, 9), in({4}, 10)}, [](const V& v) { return pow(v[0], v[1]); }},
      {"maximum", {in({6}, 11), in({6}, 12)}, [](const V& v) { return maximum(v[0], v[1]); }},
      {"minimum broadcast", {in({2, 3}, 11), in({3}, 12)}, [](const V& v) { return minimum(v[0], v[1]); }},
      {"where", {in({2, 3}, 13), in({2, 3}, 14)},
       [](const V& v) { return where(mask({1, 0, 1, 0, 0, 1}, {2, 3}), v[0], v[1]); }},
      {"where broadcast", {in({2, 3}, 13), in({3}, 14)},
       [](const V& v) { return where(mask({1, 0}, {2, 1}), v[0], v[1]); }},
      // unary
      {"neg", {in({5}, 15)}, [](const V& v) { return neg(v[0]); }},
      {"exp", {in({5}, 16)}, [](const V& v) { return exp(v[0]); }},
      {"log", {positive({5}, 17)}, [](const V& v) { return log(v[0]); }},
      {"log1p", {in({5}, 18, -0.5f, 2.0f)}, [](const V& v) { return log1p(v[0]); }},
      {"expm1", {in({5}, 19)}, [](const V& v) { return expm1(v[0]); }},
      {"sqrt", {positive({5}, 20)}, [](const V& v) { return sqrt(v[0]); }},
      {"pow scalar", {positive({5}, 21)}, [](const V& v) { return pow(v[0], 2.5f); }},
      {"pow scalar 3", {in({5}, 21)}, [](const V& v) { return pow(v[0], 3.0f); }},
      {"abs", {away_from_zero({6}, 22)}, [](const V& v) { return abs(v[0]); }},
      {"square", {in({5}, 23)}, [](const V& v) { return square(v[0]); }},
      {"reciprocal", {positive({5}, 24)}, [](const V& v) { return reciprocal(v[0]); }},
      {"sin", {in({5}, 25, -3, 3)}, [](const V& v) { return sin(v[0]); }},
      {"cos", {in({5}, 26, -3, 3)}, [](const V& v) { return cos(v[0]); }},
      {"tanh", {in({6}, 27, -2, 2)}, [](const V& v) { return tanh(v[0]); }},
      {"sigmoid", {in({6}, 28, -3, 3)}, [](const V& v) { return sigmoid(v[0]); }},
      {"relu", {away_from_zero({6}, 29)}, [](const V& v) { return relu(v[0]); }},
      {"silu", {in({6}, 30, -3, 3)}, [](const V& v) { return silu(v[0]); }},
      {"gelu exact", {in({6}, 31, -3, 3)}, [](const V& v) { return gelu(v[0], false); }},
      {"gelu tanh", {in({6}, 32, -3, 3)}, [](const V& v) { return gelu(v[0], true); }},
      {"softplus", {in({6}, 33, -3, 3)}, [](const V& v) { return softplus(v[0]); }},
      {"log_sigmoid", {in({6}, 34, -3, 3)}, [](const V& v) { return log_sigmoid(v[0]); }},
      {"clamp", {in({8}, 35, -2, 2)}, [](const V& v) { return clamp(v[0], -0.5f, 0.7f); }},
      {"add_scalar", {in({4}, 36)}, [](const V& v) { return v[0] + 3.0f; }},
      {"mul_scalar", {in({4}, 37)}, [](const V& v) { return v[0] * -2.5f; }},
      // fused derivatives (their backward is the second derivative)
      {"silu_backward", {in({6}, 38, -3, 3), in({6}, 39)}, [](const V& v) { return silu_backward(v[0], v[1]); }},
      {"sigmoid_backward", {in({6}, 40, -3, 3), in({6}, 41)}, [](const V& v) { return sigmoid_backward(v[0], v[1]); }},
      {"tanh_backward", {in({6}, 42, -2, 2), in({6}, 43)}, [](const V& v) { return tanh_backward(v[0], v[1]); }},
      {"gelu_backward exact", {in({6}, 44, -3, 3), in({6}, 45)}, [](const V& v) { return gelu_backward(v[0], v[1], false); }},
      {"gelu_backward tanh", {in({6}, 46, -3, 3), in({6}, 47)}, [](const V& v) { return gelu_backward(v[0], v[1], true); }},
      {"softplus_backward", {in({6}, 48, -3, 3), in({6}, 49)}, [](const V& v) { return softplus_backward(v[0], v[1]); }},
      {"log_sigmoid_backward", {in({6}, 50, -3, 3), in({6}, 51)}, [](const V& v) { return log_sigmoid_backward(v[0], v[1]); }},
      {"relu_backward", {away_from_zero({6}, 52), in({6}, 53)}, [](const V& v) { return relu_backward(v[0], v[1]); }},
      {"abs_backward", {away_from_zero({6}, 54), in({6}, 55)}, [](const V& v) { return abs_backward(v[0], v[1]); }},
      // reductions
      {"sum all", {in({3, 4}, 56)}, [](const V& v) { return sum(v[0]); }},
      {"sum axis", {in({2, 3, 4}, 57)}, [](const V& v) { return sum(v[0], {1}); }},
      {"sum axes keepdim", {in({2, 3, 4}, 58)}, [](const V& v) { return sum(v[0], {0, 2}, true); }},
      {"mean axis", {in({3, 4}, 59)}, [](const V& v) { return mean(v[0], {-1}); }},
      {"mean all", {in({3, 4}, 60)}, [](const V& v) { return mean(v[0]); }},
      {"max axis", {in({3, 5}, 61)}, [](const V& v) { return max(v[0], {1}); }},
      {"max axes keepdim", {in({2, 3, 4}, 62)}, [](const V& v) { return max(v[0], {0, 1}, true); }},
      {"logsumexp", {in({3, 5}, 63, -3, 3)}, [](const V& v) { return logsumexp(v[0], 1); }},
      {"logsumexp axis 0 keepdim", {in({4, 2}, 64, -3, 3)}, [](const V& v) { return logsumexp(v[0], 0, true); }},
      {"softmax", {in({3, 5}, 65, -2, 2)}, [](const V& v) { return softmax(v[0], -1); }},
      {"log_softmax", {in({3, 5}, 66, -2, 2)}, [](const V& v) { return log_softmax(v[0], 1); }},
      {"log_softmax axis 0", {in({4, 3}, 67, -2, 2)}, [](const V& v) { return log_softmax(v[0], 0); }},
      // shape
      {"reshape", {in({2, 6}, 68)}, [](const V& v) { return reshape(v[0], {3, -1}) * in({3, 4}, 1); }},
      {"flatten/unsqueeze/squeeze", {in({2, 3, 2}, 69)},
       [](const V& v) { return squeeze(unsqueeze(flatten(v[0], 1), 0), 0) * in({2, 6}, 2); }},
      {"transpose", {in({2, 3}, 70)}, [](const V& v) { return transpose(v[0], 0, 1) * in({3, 2}, 3); }},
      {"permute", {in({2, 3, 4}, 71)}, [](const V& v) { return permute(v[0], {2, 0, 1}) * in({4, 2, 3}, 4); }},
      {"broadcast_to", {in({3, 1}, 72)}, [](const V& v) { return broadcast_to(v[0], {2, 3, 4}) * in({2, 3, 4}, 5); }},
      {"sum_to", {in({2, 3, 4}, 73)}, [](const V& v) { return sum_to(v[0], {3, 1}); }},
      {"concat axis 0", {in({2, 3}, 74), in({1, 3}, 75)}, [](const V& v) { return concat({v[0], v[1]}, 0) * in({3, 3}, 6); }},
      {"concat axis 1", {in({2, 3}, 76), in({2, 2}, 77)}, [](const V& v) { return concat({v[0], v[1]}, 1) * in({2, 5}, 7); }},
      {"stack", {in({2, 3}, 78), in({2, 3}, 79)}, [](const V& v) { return stack({v[0], v[1]}, 1) * in({2, 2, 3}, 8); }},
      {"slice axis 0", {in({5, 2}, 80)}, [](const V& v) { return slice(v[0], 0, 1, 4) * in({3, 2}, 9); }},
      {"slice axis 1", {in({2, 5, 3}, 81)}, [](const V& v) { return slice(v[0], 1, 2, -1) * in({2, 2, 3}, 10); }},
      {"slice_backward", {in({2, 2}, 82)}, [](const V& v) { return slice_backward(v[0], {2, 5}, 1, 1) * in({2, 5}, 11); }},
      {"index_select", {in({4, 3}, 83)},
       [](const V& v) { return index_select(v[0], 0, indices({3, 0, 3, 1, 2}, {5})) * in({5, 3}, 12); }},
      {"index_select axis 1", {in({2, 4}, 84)},
       [](const V& v) { return index_select(v[0], 1, indices({1, 1, 3}, {3})) * in({2, 3}, 13); }},
      {"gather", {in({3, 4}, 85)},
       [](const V& v) { return gather(v[0], 1, indices({0, 3, 1, 1, 2, 0}, {3, 2})) * in({3, 2}, 14); }},
      {"scatter_add", {in({3, 2}, 86)},
       [](const V& v) { return scatter_add(v[0], {3, 4}, 1, indices({0, 3, 1, 1, 2, 0}, {3, 2})) * in({3, 4}, 15); }},
      // linear algebra
      {"matmul", {in({3, 4}, 87), in({4, 5}, 88)}, [](const V& v) { return matmul(v[0], v[1]); }},
      {"matmul a^T", {in({4, 3}, 89), in({4, 5}, 90)}, [](const V& v) { return matmul(v[0], v[1], true, false); }},
      {"matmul b^T", {in({3, 4}, 91), in({5, 4}, 92)}, [](const V& v) { return matmul(v[0], v[1], false, true); }},
      {"matmul a^T b^T", {in({4, 3}, 93), in({5, 4}, 94)}, [](const V& v) { return matmul(v[0], v[1], true, true); }},
      {"matmul batched @ 2-D", {in({2, 3, 4}, 95), in({4, 2}, 96)}, [](const V& v) { return matmul(v[0], v[1]); }},
      {"matmul 2-D @ batched", {in({3, 4}, 97), in({2, 4, 2}, 98)}, [](const V& v) { return matmul(v[0], v[1]); }},
      {"matmul batched @ batched^T", {in({2, 3, 4}, 99), in({2, 5, 4}, 100)},
       [](const V& v) { return matmul(v[0], v[1], false, true); }},
      {"matmul batched^T @ 2-D", {in({2, 4, 3}, 101), in({4, 2}, 102)},
       [](const V& v) { return matmul(v[0], v[1], true, false); }},
      // convolutions (each adjoint is an op of its own; see ops_conv.cpp)
      {"conv2d 3x3 pad 1 bias", {in({2, 3, 5, 6}, 111), in({4, 3, 3, 3}, 112), in({4}, 113)},
       [](const V& v) { return conv2d(v[0], v[1], v[2], {1, 1, 1, 1}); }},
      {"conv2d stride 2 pad 1 odd size", {in({1, 2, 7, 5}, 114), in({3, 2, 3, 3}, 115)},
       [](const V& v) { return conv2d(v[0], v[1], Tensor(), {2, 1, 1, 1}); }},
      {"conv2d dilation 2 groups 2", {in({2, 4, 7, 6}, 116), in({6, 2, 3, 3}, 117)},
       [](const V& v) { return conv2d(v[0], v[1], Tensor(), {1, 2, 2, 2}); }},
      {"conv2d 1x1", {in({2, 3, 4, 3}, 118), in({5, 3, 1, 1}, 119), in({5}, 120)},
       [](const V& v) { return conv2d(v[0], v[1], v[2]); }},
      {"conv2d depthwise 3x3 stride 2", {in({1, 3, 6, 6}, 121), in({3, 1, 3, 3}, 122)},
       [](const V& v) { return conv2d(v[0], v[1], Tensor(), {2, 1, 1, 3}); }},
      {"conv2d rectangular kernel stride (2, 1) pad (0, 1)", {in({2, 2, 5, 4}, 123), in({3, 2, 2, 3}, 124)},
       [](const V& v) { return conv2d(v[0], v[1], Tensor(), {Size2(2, 1), Size2(0, 1), 1, 1}); }},
      {"conv_transpose2d stride 2 pad 1 output_padding 1", {in({2, 4, 3, 3}, 125), in({4, 3, 3, 3}, 126), in({3}, 127)},
       [](const V& v) { return conv_transpose2d(v[0], v[1], v[2], {2, 1, 1, 1}, 1); }},
      {"conv_transpose2d groups 2 dilation 2", {in({1, 4, 4, 3}, 128), in({4, 2, 3, 3}, 129)},
       [](const V& v) { return conv_transpose2d(v[0], v[1], Tensor(), {1, 1, 2, 2}); }},
      {"conv2d_weight_grad pad 1 stride 2", {in({2, 3, 5, 5}, 130), in({2, 4, 3, 3}, 131)},
       [](const V& v) { return conv2d_weight_grad(v[0], v[1], {4, 3, 3, 3}, {2, 1, 1, 1}); }},
      {"conv2d_weight_grad groups 3 1x1", {in({2, 3, 3, 2}, 132), in({2, 6, 3, 2}, 133)},
       [](const V& v) { return conv2d_weight_grad(v[0], v[1], {6, 1, 1, 1}, {1, 0, 1, 3}); }},
      {"conv2d second derivative", {in({1, 2, 4, 4}, 134), in({3, 2, 3, 3}, 135)},
       [](const V& v) {
         const GradModeGuard record_also_for_differences(true);  // gradcheck's are unrecorded
         const Tensor y = conv2d(v[0], v[1], Tensor(), {1, 1, 1, 1});
         const Tensor w = in({1, 3, 4, 4}, 136);
         const auto g = grad({y}, {v[0], v[1]}, {mul(y, w)}, true);  // d/dx, d/dw of y^2 w / 2
         return add(sum(mul(g[0], in({1, 2, 4, 4}, 137))), sum(mul(g[1], in({3, 2, 3, 3}, 138))));
       }},
      // image ops
      {"pad2d", {in({1, 2, 3, 2}, 139)}, [](const V& v) { return pad2d(v[0], 1, 2, 0, 3) * in({1, 2, 6, 5}, 16); }},
      {"avg_pool2d 3 stride 2", {in({2, 2, 7, 6}, 140)}, [](const V& v) { return avg_pool2d(v[0], 3, 2); }},
      {"downsample2d average", {in({1, 3, 4, 6}, 141)}, [](const V& v) { return downsample2d(v[0]); }},
      {"downsample2d subsample", {in({1, 2, 4, 2}, 142)},
       [](const V& v) { return downsample2d(v[0], Downsample::subsample) * in({1, 2, 2, 1}, 17); }},
      {"upsample2d nearest", {in({1, 2, 3, 2}, 143)},
       [](const V& v) { return upsample2d(v[0]) * in({1, 2, 6, 4}, 18); }},
      {"upsample2d bilinear", {in({1, 2, 3, 5}, 144)},
       [](const V& v) { return upsample2d(v[0], Upsample::bilinear) * in({1, 2, 6, 10}, 19); }},
      {"group_norm 2 groups", {in({2, 4, 3, 2}, 145), in({4}, 146), in({4}, 147)},
       [](const V& v) { return group_norm(v[0], 2, v[1], v[2]) * in({2, 4, 3, 2}, 20); }},
      {"group_norm per channel, no affine", {in({1, 3, 2, 3}, 148)},
       [](const V& v) { return group_norm(v[0], 3, Tensor(), Tensor()) * in({1, 3, 2, 3}, 21); }},
      {"group_norm second derivative", {in({2, 4, 2, 3}, 167), in({4}, 168)},
       [](const V& v) {
         const GradModeGuard record_also_for_differences(true);
         const Tensor y = group_norm(v[0], 2, v[1], Tensor());
         const auto g = grad({y}, {v[0], v[1]}, {mul(y, in({2, 4, 2, 3}, 169))}, true);
         return add(sum(mul(g[0], in({2, 4, 2, 3}, 170))), sum(mul(g[1], in({4}, 171))));
       }},
      {"dropout", {in({4, 6}, 149)},
       [](const V& v) { Generator g(7); return dropout(v[0], 0.3f, g) * in({4, 6}, 22); }},
      // attention (70 and 67 tokens: not multiples of the 64-token blocks)
      {"attention", {in({1, 2, 70, 8}, 150), in({1, 2, 70, 8}, 151), in({1, 2, 70, 8}, 152)},
       [](const V& v) { return scaled_dot_product_attention(v[0], v[1], v[2]) * in({1, 2, 70, 8}, 23); }},
      {"attention causal", {in({2, 1, 70, 4}, 153, -2, 2), in({2, 1, 70, 4}, 154, -2, 2), in({2, 1, 70, 4}, 155)},
       [](const V& v) { return scaled_dot_product_attention(v[0], v[1], v[2], {true, 0.0f}) * in({2, 1, 70, 4}, 24); }},
      {"attention cross, scale 0.7", {in({3, 5, 4}, 156), in({3, 67, 4}, 157), in({3, 67, 4}, 158)},
       [](const V& v) { return scaled_dot_product_attention(v[0], v[1], v[2], {false, 0.7f}) * in({3, 5, 4}, 25); }},
      {"attention causal second derivative", {in({1, 6, 4}, 159), in({1, 6, 4}, 160), in({1, 6, 4}, 161)},
       [](const V& v) {
         const GradModeGuard record_also_for_differences(true);
         const Tensor y = scaled_dot_product_attention(v[0], v[1], v[2], {true, 0.0f});
         const auto g = grad({y}, {v[0], v[1], v[2]}, {mul(y, in({1, 6, 4}, 162))}, true);
         return add(add(sum(mul(g[0], in({1, 6, 4}, 163))), sum(mul(g[1], in({1, 6, 4}, 164)))),
                    sum(mul(g[2], in({1, 6, 4}, 165))));
       }},
      {"rotary_embedding", {in({2, 3, 5, 6}, 166)},
       [](const V& v) {
         return rotary_embedding(v[0], Tensor::from_vector({0, 1, 2, 7, 30}, {5}), 100.0f) * in({2, 3, 5, 6}, 26);
       }},
      // losses
      {"bce_with_logits", {in({2, 3}, 103, -3, 3), in({2, 3}, 104, 0, 1)},
       [](const V& v) { return bce_with_logits(v[0], v[1]); }},
      {"bce_with_logits sum", {in({4}, 105, -3, 3), in({4}, 106, 0, 1)},
       [](const V& v) { return bce_with_logits(v[0], v[1], Reduction::sum); }},
      {"mse", {in({3, 2}, 107), in({3, 2}, 108)}, [](const V& v) { return mse(v[0], v[1]); }},
      {"mse none", {in({3, 2}, 109), in({3, 2}, 110)}, [](const V& v) { return mse(v[0], v[1], Reduction::none); }},
  };
}

}  // namespace

TEST_CASE("every op's gradient matches central finite differences", "[ops][grad]") {
  for (const OpCase& c : op_cases()) {
    SECTION(c.name) {
      const auto result = gradcheck(c.fn, c.inputs, c.check);
      INFO(c.name << ": " << result.report);
      CHECK(result.ok);
    }
  }
}

TEST_CASE("the harness catches a backward rule off by a factor of 2", "[ops][grad]") {
  // square's true derivative is 2x; an op recorded with 4x must fail the check.
  auto wrong = [](const std::vector<Tensor>& v) {
    const Tensor x = v[0];
    return record(square(x.detach()), "square_with_wrong_backward", {x},
                  [x](const Tensor& g) -> std::vector<Tensor> { return {g * x * 4.0f}; });
  };
  CHECK_FALSE(gradcheck(wrong, {in({5}, 1, 0.3f, 1.0f)}).ok);
  auto right = [](const std::vector<Tensor>& v) { return square(v[0]); };
  CHECK(gradcheck(right, {in({5}, 1, 0.3f, 1.0f)}).ok);
}

namespace {
// Worst |device - cpu| / (atol + rtol |cpu|) over two tensors' elements (<= 1 passes).
double worst_ratio(const Tensor& device, const Tensor& cpu, double atol, double rtol) {
  const std::vector<float> d = device.to_vector(), c = cpu.to_vector();
  REQUIRE(d.size() == c.size());
  double worst = 0;
  for (size_t i = 0; i < d.size(); ++i) {
    const double err = std::abs(static_cast<double>(d[i]) - c[i]);
    worst = std::max(worst, std::isnan(err) ? 1e30 : err / (atol + rtol * std::abs(c[i])));
  }
  return worst;
}
}  // namespace

// The op table on the CUDA device: each case's value and the gradient of sum(w * f) in
// every float input, against the CPU's. A real GPU sums in other orders (cuBLAS, tree
// reductions) and uses CUDA's libm, so the tolerance is atol 1e-5 + rtol 1e-4 (float
// GEMM over these sizes stays far inside it); the host stand-in must match exactly.
TEST_CASE("every op's value and gradient on the CUDA device match the CPU's", "[ops][grad][device]") {
  const auto cases = op_cases();
  const auto cuda = genlab::testing::cuda_under_test();
  if (!cuda.available) {
    WARN(cases.size() << " op cases skipped on cuda: " << cuda.why_not);
    return;
  }
  const double atol = cuda.emulated ? 0.0 : 1e-5, rtol = cuda.emulated ? 0.0 : 1e-4;
  for (const OpCase& c : cases) {
    SECTION(c.name) {
      auto run = [&](Device device, std::vector<Tensor>& inputs) {
        const DefaultDevice scope(device);
        for (Tensor& t : inputs) {
          t = t.to(device).clone();
          if (!t.is_index()) t.requires_grad_(true);
        }
        const Tensor y = c.fn(inputs);
        const Tensor w = test_input(y.shape(), 4242);
        sum(mul(y, w)).backward();
        return y;
      };
      std::vector<Tensor> cpu_inputs = c.inputs, dev_inputs = c.inputs;
      const Tensor y_cpu = run(Device::cpu, cpu_inputs);
      const Tensor y_dev = run(Device::cuda, dev_inputs);
      CHECK(y_dev.device() == Device::cuda);
      INFO(c.name << " on " << cuda.name);
      CHECK(worst_ratio(y_dev, y_cpu, atol, rtol) <= 1.0);
      for (size_t i = 0; i < cpu_inputs.size(); ++i) {
        if (cpu_inputs[i].is_index() || !cpu_inputs[i].grad().defined()) continue;
        INFO("gradient of input " << i);
        REQUIRE(dev_inputs[i].grad().defined());
        CHECK(dev_inputs[i].grad().device() == Device::cuda);
        CHECK(worst_ratio(dev_inputs[i].grad(), cpu_inputs[i].grad(), atol, rtol) <= 1.0);
      }
    }
  }
}
