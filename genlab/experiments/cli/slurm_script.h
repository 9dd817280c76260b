// The text of a sweep's Slurm array job script (`genlab run ... --multirun --emit slurm`):
// task i runs point i into its file. Nothing the user typed can add a line: comments show
// control characters escaped (\n, \x1b), every shell word is single-quoted with control
// characters in $'\xHH' pieces, the job name keeps only [A-Za-z0-9._-], and a directive's
// value that Slurm cannot take (a control character or a double quote in the folder; a
// malformed --time/--mem/--partition) is refused. Only the standard library: the
// fuzz target (fuzz/fuzz_slurm.cpp) builds it alone.
//
//   SlurmJob job{.config_path = "/abs/c.yaml", .points = {{"seed=0"}}, .files = {"/abs/r_000.h5"}, ...};
//   std::string text = slurm_script(job);
#pragma once

#include <string>
#include <vector>

namespace genlab {

struct SlurmJob {
  std::string config_path;                       // absolute
  std::string script, index;                     // absolute paths, named in comments
  std::string command_line;                      // what wrote it, in a comment
  std::string name;                              // the experiment's; the job is genlab-<name>
  int threads = 1;                               // --cpus-per-task
  bool auto_threads = false;                     // threads: 0 in the config (a note)
  std::string log_dir;                           // absolute: slurm-%A_%a.out go there
  std::string workdir;                           // absolute: the tasks cd there
  std::string binary = "genlab";                 // what the tasks run
  std::vector<std::vector<std::string>> points;  // each point's overrides (output.path dropped)
  std::vector<std::string> files;                // each point's run file (absolute)
  std::string time, mem, partition;              // optional #SBATCH --time/--mem/--partition
};

// Throws std::invalid_argument naming the field for a value Slurm cannot take.
std::string slurm_script(const SlurmJob& job);

// A word for bash: single quotes, a quote as '\'', control characters as $'\xHH'.
std::string shell_word(const std::string& s);

// Text for a comment line: control characters (and backslash) escaped, so it stays one line.
std::string comment_text(const std::string& s);

}  // namespace genlab
