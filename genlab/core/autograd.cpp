#include "genlab/core/autograd.h"

#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "genlab/core/ops.h"

namespace genlab {
namespace {

thread_local bool g_grad_enabled = true;

// Tensors reachable from the roots through recorded ops, each after all its consumers.
std::vector<TensorImpl*> reverse_topological_order(const std::vector<Tensor>& roots) {
  std::vector<TensorImpl*> post_order;
  std::unordered_set<TensorImpl*> visited;
  std::vector<std::pair<TensorImpl*, size_t>> stack;
  for (const Tensor& r : roots) {
    if (!r.defined() || !visited.insert(r.impl()).second) continue;
    stack.push_back({r.impl(), 0});
    while (!stack.empty()) {
      auto& [t, next] = stack.back();
      const Node* node = t->grad_fn.get();
      if (node && next < node->inputs.size()) {
        const Tensor& in = node->inputs[next++];
        if (in.defined() && in.requires_grad() && visited.insert(in.impl()).second)
          stack.push_back({in.impl(), 0});
      } else {
        post_order.push_back(t);
        stack.pop_back();
      }
    }
  }
  return {post_order.rbegin(), post_order.rend()};
}

void accumulate(std::unordered_map<TensorImpl*, Tensor>& grads, TensorImpl* t, const Tensor& g) {
  auto it = grads.find(t);
  if (it == grads.end() || !it->second.defined()) grads[t] = g;
  else it->second = add(it->second, g);
}

// Propagates from the roots; calls on_reached(tensor, total gradient) for every
// tensor once its gradient is complete.
template <class OnReached>
void propagate(const std::vector<Tensor>& roots, const std::vector<Tensor>& root_grads,
               bool create_graph, OnReached&& on_reached) {
  GradModeGuard mode(create_graph);
  std::unordered_map<TensorImpl*, Tensor> grads;
  for (size_t i = 0; i < roots.size(); ++i) accumulate(grads, roots[i].impl(), root_grads[i]);
  for (TensorImpl* t : reverse_topological_order(roots)) {
    auto it = grads.find(t);
    if (it == grads.end()) continue;
    const Tensor g = it->second;
    grads.erase(it);
    on_reached(t, g);
    const Node* node = t->grad_fn.get();
    if (!node) continue;
    const std::vector<Tensor> input_grads = node->backward(g);
    for (size_t i = 0; i < node->inputs.size(); ++i) {
      const Tensor& in = node->inputs[i];
      if (!in.defined() || !in.requires_grad() || i >= input_grads.size() ||
          !input_grads[i].defined())
        continue;
      if (input_grads[i].shape() != in.shape())
        throw std::logic_error(std::string("autograd: backward of ") + node->op +
                               " returned gradient of shape " + shape_str(input_grads[i].shape()) +
                               " for input " + std::to_string(i) + " of shape " +
                               shape_str(in.shape()));
      accumulate(grads, in.impl(), input_grads[i]);
    }
  }
}

std::vector<Tensor> default_root_grads(const std::vector<Tensor>& roots,
                                       const std::vector<Tensor>& given, const char* fn) {
  std::vector<Tensor> out(roots.size());
  for (size_t i = 0; i < roots.size(); ++i) {
    if (i < given.size() && given[i].defined()) {
      if (given[i].shape() != roots[i].shape())
        throw std::invalid_argument(std::string(fn) + ": grad_output of shape " +
                                    shape_str(given[i].shape()) + " for output of shape " +
                                    shape_str(roots[i].shape()));
      out[i] = given[i];
    } else {
      if (roots[i].numel() != 1)
        throw std::invalid_argument(std::string(fn) + ": output of shape " +
                                    shape_str(roots[i].shape()) +
                                    " is not a scalar; pass a grad_output");
      out[i] = Tensor::ones(roots[i].shape(), roots[i].device());
    }
  }
  return out;
}

}  // namespace

bool grad_enabled() { return g_grad_enabled; }

GradModeGuard::GradModeGuard(bool enabled) : previous_(g_grad_enabled) { g_grad_enabled = enabled; }
GradModeGuard::~GradModeGuard() { g_grad_enabled = previous_; }

Tensor record(Tensor out, const char* op, std::vector<Tensor> inputs, BackwardFn backward_fn) {
  if (!g_grad_enabled) return out;
  bool needs = false;
  for (const Tensor& t : inputs) needs = needs || (t.defined() && t.requires_grad());
  if (!needs) return out;
  out.impl()->requires_grad = true;
  out.impl()->grad_fn =
      std::make_shared<Node>(Node{op, std::move(inputs), std::move(backward_fn)});
  return out;
}

void backward(const Tensor& root, const Tensor& grad_output, bool create_graph) {
  if (!root.requires_grad())
    throw std::invalid_argument("backward: the output does not require grad (nothing recorded)");
  const std::vector<Tensor> roots{root};
  propagate(roots, default_root_grads(roots, {grad_output}, "backward"), create_graph,
            [](TensorImpl* t, const Tensor& g) {
              if (t->grad_fn || !t->requires_grad) return;
              const Tensor previous(t->grad);
              t->grad = (previous.defined() ? add(previous, g) : g).impl_ptr();
            });
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, bool create_graph,
                         bool allow_unused) {
  std::unordered_map<TensorImpl*, size_t> wanted;
  for (size_t i = 0; i < inputs.size(); ++i) wanted[inputs[i].impl()] = i;
  std::vector<Tensor> result(inputs.size());
  std::vector<Tensor> roots;
  for (const Tensor& o : outputs)
    if (o.requires_grad() || wanted.count(o.impl())) roots.push_back(o);
  if (roots.size() == outputs.size()) {
    propagate(roots, default_root_grads(roots, grad_outputs, "grad"), create_graph,
              [&](TensorImpl* t, const Tensor& g) {
                auto it = wanted.find(t);
                if (it != wanted.end()) result[it->second] = g;
              });
  } else if (!roots.empty() || !allow_unused) {
    throw std::invalid_argument("grad: an output does not require grad (nothing recorded)");
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (result[i].defined()) continue;
    if (!allow_unused)
      throw std::invalid_argument("grad: input " + std::to_string(i) +
                                  " was not used to compute the outputs (pass allow_unused)");
    result[i] = Tensor::zeros(inputs[i].shape(), inputs[i].device());
  }
  return result;
}

}  // namespace genlab
