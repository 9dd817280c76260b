#include "genlab/experiments/cli/slurm_script.h"

#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace genlab {
namespace {

bool control(unsigned char c) { return c < 0x20 || c == 0x7f; }

std::string hex(unsigned char c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02x", c);
  return buf;
}

bool all_of(const std::string& s, const char* allowed_extra, bool digits, bool letters) {
  for (const char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    const bool ok = (digits && c >= '0' && c <= '9') ||
                    (letters && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) ||
                    std::string(allowed_extra).find(ch) != std::string::npos;
    if (!ok) return false;
  }
  return true;
}

// A directive's path: no control character (a line break would end the directive) and no
// double quote; quoted when it holds a space.
std::string directive_path(const std::string& what, const std::string& path) {
  for (const char ch : path)
    if (control(static_cast<unsigned char>(ch)) || ch == '"')
      throw std::invalid_argument(what + " '" + comment_text(path) +
                                  "' holds a control character or a double quote, which a Slurm directive "
                                  "cannot take; run the sweep from another folder or with another output.path");
  return path.find(' ') == std::string::npos ? path : "\"" + path + "\"";
}

}  // namespace

std::string shell_word(const std::string& s) {
  std::string out;
  std::string plain;
  auto flush = [&] {
    if (plain.empty()) return;
    out += "'";
    for (const char ch : plain) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
    out += "'";
    plain.clear();
  };
  for (const char ch : s) {
    if (control(static_cast<unsigned char>(ch))) {
      flush();
      out += "$'" + hex(static_cast<unsigned char>(ch)) + "'";
    } else {
      plain += ch;
    }
  }
  flush();
  return out.empty() ? "''" : out;
}

std::string comment_text(const std::string& s) {
  std::string out;
  for (const char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (ch == '\n')
      out += "\\n";
    else if (ch == '\\')
      out += "\\\\";
    else if (control(c))
      out += hex(c);
    else
      out += ch;
  }
  return out;
}

std::string slurm_script(const SlurmJob& job) {
  if (job.points.size() != job.files.size() || job.points.empty())
    throw std::invalid_argument("slurm: one run file per point, and at least one point");
  if (!job.time.empty() && !all_of(job.time, ":-", true, false))
    throw std::invalid_argument("--slurm-time '" + comment_text(job.time) + "': Slurm's forms are minutes, "
                                "HH:MM:SS or D-HH:MM:SS (digits, ':' and '-')");
  if (!job.mem.empty() && !(all_of(job.mem, "KMGTkmgt", true, false) && job.mem[0] >= '0' && job.mem[0] <= '9'))
    throw std::invalid_argument("--slurm-mem '" + comment_text(job.mem) + "': a size such as 8G or 16000M");
  if (!job.partition.empty() && !all_of(job.partition, "_.-,", true, true))
    throw std::invalid_argument("--slurm-partition '" + comment_text(job.partition) +
                                "': letters, digits and _ . - , only");
  std::string name;
  for (const char ch : job.name) name += all_of(std::string(1, ch), "._-", true, true) ? ch : '_';
  std::ostringstream s;
  s << "#!/bin/bash\n"
    << "# genlab sweep of " << comment_text(job.config_path) << ": " << job.points.size()
    << " points, one Slurm array task each.\n"
    << "# Submit with: sbatch " << comment_text(job.script) << "\n"
    << "# Index (the run file of each point and its overrides): " << comment_text(job.index) << "\n"
    << "# Written by: " << comment_text(job.command_line) << "\n"
    << "#SBATCH --job-name=genlab-" << name << "\n"
    << "#SBATCH --array=0-" << job.points.size() - 1 << "\n"
    << "#SBATCH --ntasks=1\n"
    << "#SBATCH --cpus-per-task=" << job.threads
    << (job.threads == 1 && job.auto_threads ? "  # threads: 0 (auto) in the config; raise for GEMM-heavy models" : "")
    << "\n"
    << "#SBATCH --output=" << directive_path("the sweep's folder", job.log_dir + "/slurm-%A_%a.out") << "\n";
  if (!job.time.empty()) s << "#SBATCH --time=" << job.time << "\n";
  if (!job.mem.empty()) s << "#SBATCH --mem=" << job.mem << "\n";
  if (!job.partition.empty()) s << "#SBATCH --partition=" << job.partition << "\n";
  s << "set -euo pipefail\n"
    << "export OMP_NUM_THREADS=\"${SLURM_CPUS_PER_TASK:-1}\"\n"
    << "cd " << shell_word(job.workdir) << "\n"
    << "case \"${SLURM_ARRAY_TASK_ID}\" in\n";
  for (size_t i = 0; i < job.points.size(); ++i) {
    s << "  " << i << ") exec " << shell_word(job.binary) << " run " << shell_word(job.config_path);
    for (const auto& o : job.points[i])  // the point's own output.path replaces a swept one
      if (o.rfind("output.path=", 0) != 0) s << " " << shell_word(o);
    s << " " << shell_word("output.path=" + job.files[i]) << " ;;\n";
  }
  s << "  *) echo \"genlab sweep: no point ${SLURM_ARRAY_TASK_ID} (0-" << job.points.size() - 1
    << ")\" >&2; exit 2 ;;\n"
    << "esac\n";
  return s.str();
}

}  // namespace genlab
