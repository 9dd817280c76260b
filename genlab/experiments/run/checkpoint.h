// Training state in the run file, in two alternating slots /checkpoint/0 and
// /checkpoint/1; the attribute /checkpoint:latest names a slot only after it is
// completely written, so a kill while saving leaves the previous checkpoint intact.
// A checkpoint holds the family's TrainingState and the runner's own: the step, the
// data and noise streams, the wall time and the partly filled logging window.
//
//   save_checkpoint(file, {.step = 500, ...}, family->save());
//   RunnerState r = load_checkpoint(file, family_state);   // family->load(family_state)
#pragma once

#include <cstdint>

#include <map>
#include <string>

#include "genlab/core/rng.h"
#include "genlab/core/tensor.h"
#include "genlab/experiments/run/run_file.h"

namespace genlab {

using NamedTensorMap = std::map<std::string, Tensor>;

// What a checkpoint holds of a family (Family::save, genlab/experiments/families/family.h):
// named tensor groups ("params", "optimizer", "ema", ...) and scalar attributes (counters),
// enough to continue bitwise.
struct TrainingState {
  std::map<std::string, NamedTensorMap> tensors;
  std::map<std::string, std::string> attrs;
};

struct RunnerState {
  int64_t step = 0;
  GeneratorState data, noise;
  double wall_s = 0;
  // The logging window in progress: sums over `window` steps since the last /train row.
  double window_loss = 0, window_grad = 0;
  int64_t window = 0;
};

void save_checkpoint(RunFile& file, const RunnerState& runner, const TrainingState& family);
bool has_checkpoint(const RunFile& file);
// A checkpoint's fingerprint (its attribute `checksum`): written with it and recomputed
// when it is loaded, so a value changed on disk is refused instead of resumed. Over the
// attributes (sorted, `checksum` left out) and every tensor's float32 values.
std::string checkpoint_checksum(const std::map<std::string, std::map<std::string, Tensor>>& tensors,
                                const std::map<std::string, std::string>& attrs);
// `groups`: the tensor groups to read (a fresh family's save() names them).
RunnerState load_checkpoint(const RunFile& file, TrainingState& family);
// The runner's part of a loaded checkpoint (it travels in the family state's attributes);
// `where` names the checkpoint in errors.
RunnerState runner_state_of(const TrainingState& loaded, const std::string& where);

// A TrainingState as bytes and back: rank 0 reads the checkpoint and sends it to the other
// ranks of a data-parallel run (issue 16).
std::string pack_training_state(const TrainingState& state);
// A fingerprint of every tensor's bits and every attribute: the replica check.
uint64_t hash_training_state(const TrainingState& state);
TrainingState unpack_training_state(const std::string& bytes);

}  // namespace genlab
