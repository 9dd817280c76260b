// libFuzzer target: the Slurm script emitter (genlab/experiments/cli/slurm_script.h). The input
// is split at 0xff bytes into the job's strings (config path, command line, name, work
// folder, binary, then the points' overrides). Property: the script is exactly the lines
// genlab meant (17 fixed with the optional directives, one per point, two closing), no
// other control character than the line ends, and each task's line, read back as bash
// would read its words, gives exactly the intended arguments.
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "genlab/experiments/cli/slurm_script.h"

namespace {

// Bash's reading of the words our quoting makes: '...' literal, $'\xHH' one byte, words
// split at unquoted spaces. Returns the words after "exec".
std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> out;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < line.size();) {
    const char ch = line[i];
    if (ch == ' ') {
      if (in_word) out.push_back(word), word.clear(), in_word = false;
      ++i;
    } else if (ch == '\'') {
      const size_t end = line.find('\'', i + 1);
      if (end == std::string::npos) std::abort();  // an unterminated quote
      word += line.substr(i + 1, end - i - 1), in_word = true, i = end + 1;
    } else if (ch == '\\' && i + 1 < line.size() && line[i + 1] == '\'') {
      word += '\'', in_word = true, i += 2;
    } else if (ch == '$' && line.compare(i, 4, "$'\\x") == 0) {
      word += static_cast<char>(std::stoi(line.substr(i + 4, 2), nullptr, 16)), in_word = true, i += 7;
    } else {
      word += ch, in_word = true, ++i;
    }
  }
  if (in_word) out.push_back(word);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> parts(1);
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0xff)
      parts.emplace_back();
    else
      parts.back() += static_cast<char>(data[i]);
  }
  while (parts.size() < 6) parts.emplace_back();
  genlab::SlurmJob job;
  job.config_path = parts[0], job.command_line = parts[1], job.name = parts[2];
  job.workdir = parts[3], job.binary = parts[4];
  job.script = job.index = "/tmp/x", job.log_dir = "/tmp/logs";
  job.time = "1:00:00", job.mem = "1G", job.partition = "p";
  for (size_t i = 5; i < parts.size() && i < 40; ++i) {
    job.points.push_back({parts[i], "seed=" + std::to_string(i)});
    job.files.push_back("/tmp/out_" + std::to_string(i));
  }
  std::string text;
  try {
    text = genlab::slurm_script(job);
  } catch (const std::invalid_argument&) {
    return 0;
  }
  size_t lines = 0;
  for (const char ch : text) {
    if (ch == '\n') ++lines;
    else if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) std::abort();
  }
  if (lines != 17 + job.points.size() + 2) std::abort();
  size_t at = 0;
  for (size_t line_no = 0; line_no < lines; ++line_no) {
    const size_t end = text.find('\n', at);
    const std::string line = text.substr(at, end - at);
    at = end + 1;
    if (line_no < 17 || line_no >= 17 + job.points.size()) continue;
    const size_t i = line_no - 17;
    const std::string prefix = "  " + std::to_string(i) + ") exec ";
    if (line.compare(0, prefix.size(), prefix) != 0 || line.size() < 3 || line.substr(line.size() - 3) != " ;;")
      std::abort();
    const auto got = words(line.substr(prefix.size(), line.size() - prefix.size() - 3));
    std::vector<std::string> expected{job.binary, "run", job.config_path};
    for (const auto& o : job.points[i])
      if (o.rfind("output.path=", 0) != 0) expected.push_back(o);
    expected.push_back("output.path=" + job.files[i]);
    if (got != expected) std::abort();
  }
  return 0;
}
