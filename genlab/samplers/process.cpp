#include "genlab/samplers/process.h"

#include <cmath>
#include <stdexcept>

namespace genlab {
namespace {

class VP final : public Process {
 public:
  explicit VP(const VPOptions& o) : o_(o) {}
  std::string name() const override { return "vp"; }
  // q(t) = beta_d t^2 / 2 + beta_min t; sigma = sqrt(e^q - 1), s = e^(-q/2).
  double q(double t) const { return 0.5 * o_.beta_d * t * t + o_.beta_min * t; }
  double dq(double t) const { return o_.beta_d * t + o_.beta_min; }
  double sigma(double t) const override { return std::sqrt(std::expm1(q(t))); }
  double sigma_deriv(double t) const override { return 0.5 * dq(t) * std::exp(q(t)) / sigma(t); }
  double s(double t) const override { return std::exp(-0.5 * q(t)); }
  double s_deriv(double t) const override { return -0.5 * dq(t) * s(t); }
  double t_of_sigma(double sig) const override {
    const double b = o_.beta_min, d = o_.beta_d;
    return (std::sqrt(b * b + 2.0 * d * std::log1p(sig * sig)) - b) / d;
  }
  double sigma_min() const override { return sigma(o_.t_min); }
  double sigma_max() const override { return sigma(o_.t_max); }

  ProcessOptions options() const override { return o_; }

 private:
  VPOptions o_;
};

class VE final : public Process {
 public:
  explicit VE(const VEOptions& o) : o_(o) {}
  std::string name() const override { return "ve"; }
  double sigma(double t) const override { return std::sqrt(t); }
  double sigma_deriv(double t) const override { return 0.5 / std::sqrt(t); }
  double t_of_sigma(double sig) const override { return sig * sig; }
  double sigma_min() const override { return o_.sigma_min; }
  double sigma_max() const override { return o_.sigma_max; }

  ProcessOptions options() const override { return o_; }

 private:
  VEOptions o_;
};

class EDM final : public Process {
 public:
  explicit EDM(const EDMOptions& o) : o_(o) {}
  std::string name() const override { return "edm"; }
  double sigma(double t) const override { return t; }
  double sigma_deriv(double) const override { return 1.0; }
  double t_of_sigma(double sig) const override { return sig; }
  double sigma_min() const override { return o_.sigma_min; }
  double sigma_max() const override { return o_.sigma_max; }

  ProcessOptions options() const override { return o_; }

 private:
  EDMOptions o_;
};

class Flow final : public Process {
 public:
  explicit Flow(const FlowOptions& o) : o_(o) {}
  std::string name() const override { return "flow"; }
  double sigma(double t) const override { return t / (1.0 - t); }
  double sigma_deriv(double t) const override { return 1.0 / ((1.0 - t) * (1.0 - t)); }
  double s(double t) const override { return 1.0 - t; }
  double s_deriv(double) const override { return -1.0; }
  double t_of_sigma(double sig) const override { return sig / (1.0 + sig); }
  double sigma_min() const override { return sigma(o_.t_min); }
  double sigma_max() const override { return sigma(o_.t_max); }

  ProcessOptions options() const override { return o_; }

 private:
  FlowOptions o_;
};

}  // namespace

std::unique_ptr<Process> make_vp(const VPOptions& o) {
  return std::make_unique<VP>(o);
}
std::unique_ptr<Process> make_ve(const VEOptions& o) {
  return std::make_unique<VE>(o);
}
std::unique_ptr<Process> make_edm(const EDMOptions& o) {
  return std::make_unique<EDM>(o);
}
std::unique_ptr<Process> make_flow(const FlowOptions& o) {
  return std::make_unique<Flow>(o);
}

namespace {

// The processes by name with their default parameters: the one place a process is added.
const std::vector<std::pair<std::string, std::unique_ptr<Process> (*)()>>& process_table() {
  static const std::vector<std::pair<std::string, std::unique_ptr<Process> (*)()>> rows{
      {"vp", [] { return make_vp(); }},
      {"ve", [] { return make_ve(); }},
      {"edm", [] { return make_edm(); }},
      {"flow", [] { return make_flow(); }},
  };
  return rows;
}

}  // namespace

const std::vector<std::string>& process_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& [name, make] : process_table()) n.push_back(name);
    return n;
  }();
  return names;
}

std::unique_ptr<Process> make_process(const std::string& name) {
  for (const auto& [n, make] : process_table())
    if (n == name) return make();
  std::string allowed;
  for (const auto& n : process_names()) allowed += (allowed.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown process '" + name + "' (allowed: " + allowed + ")");
}

std::unique_ptr<Process> make_process(const ProcessOptions& options) {
  struct Make {
    std::unique_ptr<Process> operator()(const VPOptions& o) const { return make_vp(o); }
    std::unique_ptr<Process> operator()(const VEOptions& o) const { return make_ve(o); }
    std::unique_ptr<Process> operator()(const EDMOptions& o) const { return make_edm(o); }
    std::unique_ptr<Process> operator()(const FlowOptions& o) const { return make_flow(o); }
  };
  return std::visit(Make{}, options);
}

}  // namespace genlab
