#include "genlab/core/backend/cpu/conv2d_dnnl.h"

#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "genlab/core/eigen.h"
#include <oneapi/dnnl/dnnl.hpp>

#include "genlab/core/backend/cpu/eigen_maps.h"
#include "genlab/core/parallel.h"

namespace genlab::cpu::dnnl_conv {
namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

enum class Kind { forward, forward_bias, input_grad, weight_grad };

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

// Everything a geometry's primitive needs, in oneDNN's terms.
struct Dims {
  memory::dims src, weights, bias, dst, strides, dilates, pad_l, pad_r;
  tag weights_tag;
};

Dims dims_of(const Conv2dGeometry& g) {
  Dims d;
  d.src = {g.batch, g.in_channels, g.in_h, g.in_w};
  d.dst = {g.batch, g.out_channels, g.out_h, g.out_w};
  d.bias = {g.out_channels};
  if (g.groups == 1) {
    d.weights = {g.out_channels, g.in_channels, g.kernel_h, g.kernel_w};
    d.weights_tag = tag::oihw;
  } else {
    d.weights = {g.groups, g.out_per_group(), g.in_per_group(), g.kernel_h, g.kernel_w};
    d.weights_tag = tag::goihw;
  }
  d.strides = {g.stride_h, g.stride_w};
  d.dilates = {g.dilation_h - 1, g.dilation_w - 1};  // oneDNN counts the gaps
  d.pad_l = {g.pad_h, g.pad_w};
  // PyTorch's floor division drops rows at the bottom / right: oneDNN wants them exact.
  d.pad_r = {(g.out_h - 1) * g.stride_h + (g.kernel_h - 1) * g.dilation_h + 1 - g.in_h - g.pad_h,
             (g.out_w - 1) * g.stride_w + (g.kernel_w - 1) * g.dilation_w + 1 - g.in_w - g.pad_w};
  return d;
}

memory::desc any(const memory::dims& dims) { return memory::desc(dims, dt::f32, tag::any); }
// Activations: a 1x1 convolution runs fastest on plain NCHW (2x the blocked layout with
// its reorders, bench/README.md); others on the layout oneDNN picks (nChw16c).
memory::desc activation(const memory::dims& dims, bool plain) {
  return memory::desc(dims, dt::f32, plain ? tag::nchw : tag::any);
}

// NCHW <-> nChw16c, a 16 x pixels transpose per image and channel block. oneDNN 2.6's
// own reorder takes 50-70 ms for [128, 32, 28, 28] on one thread (the convolution
// itself: 7 ms); this one is bandwidth-bound.
bool is_nchw16c(const memory::desc& d, const memory::dims& dims) {
  return dims[1] % 16 == 0 && d == memory::desc(dims, dt::f32, tag::nChw16c);
}

void reorder_blocks(const float* in, float* out, const memory::dims& dims, bool to_blocked) {
  const int64_t blocks = dims[1] / 16, pixels = dims[2] * dims[3];
  parallel_for(dims[0] * blocks, 16 * pixels, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t offset = b * 16 * pixels;  // the same for both layouts
      if (to_blocked)
        MatrixMap(out + offset, pixels, 16) =
            ConstMatrixMap(in + offset, 16, pixels).transpose();
      else
        MatrixMap(out + offset, 16, pixels) =
            ConstMatrixMap(in + offset, pixels, 16).transpose();
    }
  });
}

// A primitive with the layouts it chose for its three tensors.
struct Plan {
  dnnl::primitive primitive;
  memory::desc a, b, c;  // src / weights / dst in the primitive's argument order
  int arg_a, arg_b, arg_c;
  // Buffers in the primitive's layouts, kept between calls: fresh ones would be fresh
  // pages, and first-touch page faults cost as much as the convolution.
  memory scratch[3];
  std::mutex mutex;  // one call at a time uses the scratch buffers
};

dnnl::convolution_forward::primitive_desc forward_pd(const Dims& d, bool bias, bool plain) {
  using F = dnnl::convolution_forward;
  const auto desc = bias ? F::desc(dnnl::prop_kind::forward_training,
                                   dnnl::algorithm::convolution_direct, activation(d.src, plain), any(d.weights),
                                   memory::desc(d.bias, dt::f32, tag::x), activation(d.dst, plain), d.strides,
                                   d.dilates, d.pad_l, d.pad_r)
                         : F::desc(dnnl::prop_kind::forward_training,
                                   dnnl::algorithm::convolution_direct, activation(d.src, plain), any(d.weights),
                                   activation(d.dst, plain), d.strides, d.dilates, d.pad_l, d.pad_r);
  return F::primitive_desc(desc, cpu_engine());
}

std::unique_ptr<Plan> make_plan(Kind kind, const Conv2dGeometry& g) {
  const Dims d = dims_of(g);
    const bool plain = g.pointwise();
  const auto fwd = forward_pd(d, kind == Kind::forward_bias, plain);
  if (kind == Kind::forward || kind == Kind::forward_bias)
    return std::unique_ptr<Plan>(new Plan{dnnl::convolution_forward(fwd), fwd.src_desc(),
                                          fwd.weights_desc(), fwd.dst_desc(), DNNL_ARG_SRC,
                                          DNNL_ARG_WEIGHTS, DNNL_ARG_DST, {}, {}});
  if (kind == Kind::input_grad) {
    using B = dnnl::convolution_backward_data;
    const B::primitive_desc pd(B::desc(dnnl::algorithm::convolution_direct, activation(d.src, plain),
                                       any(d.weights), activation(d.dst, plain), d.strides, d.dilates, d.pad_l,
                                       d.pad_r),
                               cpu_engine(), fwd);
    return std::unique_ptr<Plan>(new Plan{B(pd), pd.diff_dst_desc(), pd.weights_desc(),
                                          pd.diff_src_desc(), DNNL_ARG_DIFF_DST, DNNL_ARG_WEIGHTS,
                                          DNNL_ARG_DIFF_SRC, {}, {}});
  }
  using W = dnnl::convolution_backward_weights;
  const W::primitive_desc pd(W::desc(dnnl::algorithm::convolution_direct, activation(d.src, plain),
                                     any(d.weights), activation(d.dst, plain), d.strides, d.dilates, d.pad_l,
                                     d.pad_r),
                             cpu_engine(), fwd);
  return std::unique_ptr<Plan>(new Plan{W(pd), pd.src_desc(), pd.diff_dst_desc(),
                                        pd.diff_weights_desc(), DNNL_ARG_SRC, DNNL_ARG_DIFF_DST,
                                        DNNL_ARG_DIFF_WEIGHTS, {}, {}});
}

using Key = std::tuple<int, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
                       int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t>;

Plan& plan(Kind kind, const Conv2dGeometry& g) {
  static std::mutex mutex;
  static std::map<Key, std::unique_ptr<Plan>> cache;
  const Key key{static_cast<int>(kind), g.batch, g.in_channels, g.in_h, g.in_w, g.out_channels,
                g.kernel_h, g.kernel_w, g.stride_h, g.stride_w, g.pad_h, g.pad_w, g.dilation_h,
                g.dilation_w, g.groups, 0};
  std::lock_guard<std::mutex> lock(mutex);
  auto& slot = cache[key];
  if (!slot) slot = make_plan(kind, g);
  return *slot;
}

// A user tensor in its plain layout, and the primitive's layout (a reorder when they
// differ).
struct Operand {
  memory user, inner;
  memory::dims dims;
  bool reordered = false;
};

void to_inner(Operand& o, dnnl::stream& stream) {
  if (!o.reordered) return;
  if (is_nchw16c(o.inner.get_desc(), o.dims)) {
    reorder_blocks(static_cast<const float*>(o.user.get_data_handle()),
                   static_cast<float*>(o.inner.get_data_handle()), o.dims, true);
  } else {
    dnnl::reorder(o.user, o.inner).execute(stream, o.user, o.inner);
    stream.wait();
  }
}

void to_user(Operand& o, dnnl::stream& stream) {
  if (!o.reordered) return;
  if (is_nchw16c(o.inner.get_desc(), o.dims)) {
    reorder_blocks(static_cast<const float*>(o.inner.get_data_handle()),
                   static_cast<float*>(o.user.get_data_handle()), o.dims, false);
  } else {
    dnnl::reorder(o.inner, o.user).execute(stream, o.inner, o.user);
    stream.wait();
  }
}

Operand operand(const memory::dims& dims, tag plain, const memory::desc& wanted, float* data,
                memory& scratch) {
  Operand o;
  o.dims = dims;
  o.user = memory(memory::desc(dims, dt::f32, plain), cpu_engine(), data);
  o.reordered = o.user.get_desc() != wanted;
  if (o.reordered && !scratch) scratch = memory(wanted, cpu_engine());
  o.inner = o.reordered ? scratch : o.user;
  return o;
}

void run(Kind kind, const Conv2dGeometry& g, const float* a, const float* b, float* c,
         const float* bias) {
  Plan& p = plan(kind, g);
  std::lock_guard<std::mutex> lock(p.mutex);
  const Dims d = dims_of(g);
  const memory::dims* shapes[3];
  tag tags[3];
  if (kind == Kind::input_grad) {
    shapes[0] = &d.dst, shapes[1] = &d.weights, shapes[2] = &d.src;
    tags[0] = tag::nchw, tags[1] = d.weights_tag, tags[2] = tag::nchw;
  } else if (kind == Kind::weight_grad) {
    shapes[0] = &d.src, shapes[1] = &d.dst, shapes[2] = &d.weights;
    tags[0] = tag::nchw, tags[1] = tag::nchw, tags[2] = d.weights_tag;
  } else {
    shapes[0] = &d.src, shapes[1] = &d.weights, shapes[2] = &d.dst;
    tags[0] = tag::nchw, tags[1] = d.weights_tag, tags[2] = tag::nchw;
  }
  dnnl::stream stream(cpu_engine());
  Operand oa = operand(*shapes[0], tags[0], p.a, const_cast<float*>(a), p.scratch[0]);
  Operand ob = operand(*shapes[1], tags[1], p.b, const_cast<float*>(b), p.scratch[1]);
  Operand oc = operand(*shapes[2], tags[2], p.c, c, p.scratch[2]);
  to_inner(oa, stream);
  to_inner(ob, stream);
  std::unordered_map<int, memory> args{{p.arg_a, oa.inner}, {p.arg_b, ob.inner}, {p.arg_c, oc.inner}};
  if (bias)
    args.emplace(DNNL_ARG_BIAS, memory(memory::desc(d.bias, dt::f32, tag::x), cpu_engine(),
                                       const_cast<float*>(bias)));
  p.primitive.execute(stream, args);
  stream.wait();
  to_user(oc, stream);
}

}  // namespace

void forward(const float* x, const float* w, const float* bias, float* out, const Conv2dGeometry& g) {
  run(bias ? Kind::forward_bias : Kind::forward, g, x, w, out, bias);
}

void input_grad(const float* grad, const float* w, float* dx, const Conv2dGeometry& g) {
  run(Kind::input_grad, g, grad, w, dx, nullptr);
}

void weight_grad(const float* x, const float* grad, float* dw, const Conv2dGeometry& g) {
  run(Kind::weight_grad, g, x, grad, dw, nullptr);
}

}  // namespace genlab::cpu::dnnl_conv
