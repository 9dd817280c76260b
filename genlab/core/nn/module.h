// Module: parameters, buffers and submodules registered by name, in order, so that
// dotted paths ("net.layers.2.weight") name checkpoint entries and optimizer state.
//
//   class Net : public Module {
//    public:
//     explicit Net(Generator& g) { fc_ = register_module("fc", std::make_shared<Linear>(LinearOptions{2, 8}, g)); }
//     Tensor forward(const Tensor& x) { return fc_->forward(x); }
//    private:
//     std::shared_ptr<Linear> fc_;
//   };
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "genlab/core/tensor.h"

namespace genlab {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Module {
 public:
  virtual ~Module() = default;

  NamedTensors named_parameters() const;  // registration order, dotted names
  std::vector<Tensor> parameters() const;
  NamedTensors named_buffers() const;      // non-trained state (masks, fixed frequencies)
  int64_t num_parameters() const;
  // Those that training updates (requires_grad): all but the frozen ones.
  NamedTensors trainable_parameters() const;
  int64_t num_trainable_parameters() const;
  // Every parameter stops requiring grad (fine-tuning adapters on a frozen model).
  void freeze();

  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  void zero_grad();

  // Parameters and buffers by name (the tensors themselves, not copies).
  std::map<std::string, Tensor> state_dict() const;
  // Copies values in by name; every entry must exist with the same shape, and every
  // parameter and buffer must be given. Errors name the entry.
  void load_state_dict(const std::map<std::string, Tensor>& state);

 protected:
  Tensor register_parameter(const std::string& name, Tensor value);
  Tensor register_buffer(const std::string& name, Tensor value);
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    add_child(name, module);
    return module;
  }

 private:
  void add_child(const std::string& name, std::shared_ptr<Module> module);
  void check_new_name(const std::string& name) const;
  void collect(const std::string& prefix, bool buffers, NamedTensors& out) const;

  NamedTensors parameters_;
  NamedTensors buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

// Submodules named by position ("0", "1", ...), giving paths such as layers.2.weight.
// A module of one tensor to one tensor (an embedding, a norm): what a net holds when an
// option chooses the kind, one member instead of one pointer per kind.
class UnaryModule : public Module {
 public:
  virtual Tensor forward(const Tensor& x) const = 0;
};

class ModuleList : public Module {
 public:
  template <class M>
  std::shared_ptr<M> push_back(std::shared_ptr<M> module) {
    return register_module(std::to_string(size_++), std::move(module));
  }
  size_t size() const { return size_; }

 private:
  size_t size_ = 0;
};

}  // namespace genlab
