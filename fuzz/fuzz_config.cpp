// libFuzzer target: the config reader. Any input either fails with a ConfigError (a
// located message) or reads into a config whose resolved YAML reads back to itself.
// Lines "#override key=value" at the top are applied as overrides.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "genlab/experiments/experiment_config.h"
#include "genlab/experiments/config/yaml_section.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> overrides;
  size_t pos = 0;
  while (text.compare(pos, 10, "#override ") == 0) {
    const size_t end = text.find('\n', pos);
    if (end == std::string::npos) break;
    overrides.push_back(text.substr(pos + 10, end - pos - 10));
    pos = end + 1;
  }
  std::string resolved;
  try {
    resolved = genlab::to_yaml(genlab::parse_experiment_config(text, "fuzz.yaml", overrides));
  } catch (const genlab::ConfigError&) {
    return 0;  // refused with a located message: fine
  }
  // The resolved config must read back to exactly itself (genlab sample relies on it).
  std::string again;
  try {
    again = genlab::to_yaml(genlab::parse_experiment_config(resolved, "resolved.yaml"));
  } catch (const genlab::ConfigError&) {
    std::abort();
  }
  if (again != resolved) std::abort();
  return 0;
}
