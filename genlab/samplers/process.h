// Noise processes in EDM's unified form x_t = s(t) (x0 + sigma(t) eps)
// (Karras et al. 2022, Table 1; rectified flow as s = 1 - t, sigma = t / (1 - t)).
//
//   auto p = make_process("vp");
//   double sig = p->sigma(0.5), ds = p->sigma_deriv(0.5), t = p->t_of_sigma(sig);
#pragma once

#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace genlab {

struct VPOptions {
  double beta_d = 19.9, beta_min = 0.1, t_min = 1e-3, t_max = 1.0;
};
struct VEOptions {
  double sigma_min = 0.02, sigma_max = 100.0;
};
struct EDMOptions {
  double sigma_min = 0.002, sigma_max = 80.0;
};
struct FlowOptions {
  double t_min = 1e-3, t_max = 1.0 - 1e-3;
};
// A process's parameters, which also say which process it is: what a model trained under
// it (its preconditioning, genlab/models/diffusion/preconditioning.h) reads, so the
// parameters exist once, in the Process a sampler integrates.
using ProcessOptions = std::variant<VPOptions, VEOptions, EDMOptions, FlowOptions>;

class Process {
 public:
  virtual ~Process() = default;
  virtual std::string name() const = 0;
  virtual double sigma(double t) const = 0;
  virtual double sigma_deriv(double t) const = 0;
  virtual double s(double /*t*/) const { return 1.0; }
  virtual double s_deriv(double /*t*/) const { return 0.0; }
  virtual double t_of_sigma(double sigma) const = 0;
  // The papers' default sigma range for sampling.
  virtual double sigma_min() const = 0;
  virtual double sigma_max() const = 0;
  // The parameters it was made with (make_process(options()) makes it again).
  virtual ProcessOptions options() const = 0;
};

std::unique_ptr<Process> make_vp(const VPOptions& o = {});
std::unique_ptr<Process> make_ve(const VEOptions& o = {});
std::unique_ptr<Process> make_edm(const EDMOptions& o = {});
std::unique_ptr<Process> make_flow(const FlowOptions& o = {});
// "vp" | "ve" | "edm" | "flow" with default parameters; the error lists the names.
std::unique_ptr<Process> make_process(const std::string& name);
std::unique_ptr<Process> make_process(const ProcessOptions& options);
const std::vector<std::string>& process_names();  // {"vp", "ve", "edm", "flow"}

}  // namespace genlab
