// Helpers of the tests that run genlab as a user does: as a child process (the real
// binary, killed or starved as a user's would be), and the check that two runs ended
// bitwise the same.
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "genlab/core/ops.h"
#include "genlab/experiments/run/run_file.h"

extern char** environ;

namespace genlab::testing {

// `genlab ARGS` as a child process, its stdout and stderr to these files (the same file
// for both is fine), with `env` added to this process's environment; returns its pid.
inline pid_t spawn_genlab_process(const std::vector<std::string>& args, const std::string& out = "/dev/null",
                                  const std::string& err = "/dev/null", const std::vector<std::string>& env = {}) {
  std::vector<std::string> all{GENLAB_BINARY};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) env_strings.push_back(*e);
  env_strings.insert(env_strings.end(), env.begin(), env.end());
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (err == out)
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
  else
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, GENLAB_BINARY, &actions, nullptr, argv.data(), envp.data()) == 0);
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

// Waits for a child that must exit by itself (not by a signal); its exit code.
inline int exit_code_of(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}

// Two completed runs agree bitwise: weights, EMA, the training curve, and these variants'
// samples.
inline void check_same_run(const std::string& ref, const std::string& other,
                           const std::vector<std::string>& variants = {}) {
  const RunFile a = RunFile::open(ref), b = RunFile::open(other);
  CHECK(b.attrs().at("status") == "completed");
  for (const char* group : {"model", "model/ema"}) {
    const auto ta = a.read_tensors(group), tb = b.read_tensors(group);
    REQUIRE(ta.size() == tb.size());
    for (const auto& [name, t] : ta) {
      INFO(group << "/" << name);
      CHECK(max(abs(t - tb.at(name)), {}).item() == 0.0f);
    }
  }
  const auto ca = a.read_columns("train"), cb = b.read_columns("train");
  CHECK(ca.at("step") == cb.at("step"));
  CHECK(ca.at("loss") == cb.at("loss"));
  for (const auto& v : variants) CHECK(max(abs(a.read_samples(v) - b.read_samples(v)), {}).item() == 0.0f);
}

}  // namespace genlab::testing
