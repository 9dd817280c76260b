// Paths for test outputs under the system's temp folder (genlab_tests/), fresh each time:
// runs refuse to write over an existing file.
#pragma once

#include <filesystem>
#include <string>

namespace genlab::testing {

inline std::string temp_path(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / "genlab_tests";
  std::filesystem::create_directories(dir);
  std::filesystem::remove(dir / name);
  return (dir / name).string();
}

}  // namespace genlab::testing
