// The HDF5 run file (docs/DESIGN.md contract 3), never changed in place: every write (or a
// batch of writes) goes to a copy beside it, `<path>.writing`, which replaces the file by
// rename once it is written, closed and synced. So the file on disk is always a complete
// file that some write left (a kill, a full disk or a failed write mid-way leaves it as it
// was), and any reader (h5py, `genlab info`) can open it while the run goes on. A write
// that would leave less free space than a copy of the file needs to record a failure is
// refused before it starts (DiskFull), and record_failure() can then still say `failed`. The root attribute
// `status` is "running" from creation and becomes "completed", "failed" or "interrupted"
// at the end; a run killed outright (SIGKILL) stays "running", which readers report as
// not completed.
//
//   RunFile f = RunFile::create("runs/x.h5", {{"seed", "0"}, ...}, resolved_yaml);
//   f.append("train", {{"step", 100}, {"loss", 0.8}});
//   f.write_tensors("model", model.state_dict());
//   f.write_variant("heun-18", samples, attrs);  f.write_summary(rows);
//   f.set_status("completed");
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "genlab/core/tensor.h"

namespace genlab {

// One row of /variants/summary: text columns and number columns.
struct SummaryRow {
  std::map<std::string, std::string> text;  // name, sampler, grid
  std::map<std::string, double> numbers;    // steps, nfe, wall_s, metrics...
};

// The /train, /eval, /test and /likelihood columns stored as int64 (counts).
const std::set<std::string>& integer_columns();

// One numeric dataset of any HDF5 file (not only run files), as float32, e.g. user data;
// errors name the file (as a data file), the dataset, the config key that named it
// (`key`, when one did) and, for a missing one, the datasets the file holds.
Tensor read_hdf5_array(const std::string& file, const std::string& dataset, const std::string& key = "");

// A write refused because the disk is nearly full; nothing of it was written.
class DiskFull : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class RunFile {
 public:
  // Creates (truncates) the file with the root attributes, status = running, and the
  // resolved config as the `config_yaml` attribute.
  static RunFile create(const std::string& path, const std::map<std::string, std::string>& attrs,
                        const std::string& config_yaml);
  static RunFile open(const std::string& path);  // an existing file, for reading or adding
  // No file: every write is dropped, every read finds nothing. The run file of data-parallel
  // ranks other than 0, which compute what rank 0 writes (issue 16).
  static RunFile discard();
  bool discarding() const { return discard_; }
  const std::string& path() const { return path_; }

  void set_attr(const std::string& name, const std::string& value);
  // A number as a number (an int64 attribute): seed, threads, pid. attrs() reads it back
  // as its decimal text.
  void set_attr(const std::string& name, int64_t value);
  std::map<std::string, std::string> attrs() const;
  // The resolved config every run file holds (`config_yaml`); a file without it is some
  // other HDF5 file, and the error says so.
  static std::string config_yaml(const std::map<std::string, std::string>& attrs, const std::string& path);
  void set_status(const std::string& status) { set_attr("status", status); }

  // Appends one row to the 1-D datasets /<group>/<column> (created on first use; every
  // row must have the same columns). Counting columns (step, epoch, nfe, ...: see
  // integer_columns()) are stored as int64, the others as float64.
  void append(const std::string& group, const std::map<std::string, double>& row);
  // Complete rows only (a reader of a live run may catch a row half-appended).
  std::map<std::string, std::vector<double>> read_columns(const std::string& group) const;

  // Float32 datasets /<group>/<name> (dots in names kept), replacing existing ones.
  void write_tensors(const std::string& group, const std::map<std::string, Tensor>& tensors);
  std::map<std::string, Tensor> read_tensors(const std::string& group) const;

  // /variants/<name>/samples plus string attributes with the variant's settings.
  void write_variant(const std::string& name, const Tensor& samples,
                     const std::map<std::string, std::string>& attrs);
  Tensor read_samples(const std::string& variant) const;
  // An 8-bit grayscale image /<group>/<name> [height, width] with HDF5's image attributes
  // (CLASS IMAGE, IMAGE_SUBCLASS IMAGE_GRAYSCALE), which HDFView shows as a picture.
  void write_image(const std::string& group, const std::string& name,
                   const std::vector<uint8_t>& pixels, int64_t height, int64_t width);
  // /variants/summary: a compound table, one row per variant (rewritten whole).
  void write_summary(const std::vector<SummaryRow>& rows);
  std::vector<SummaryRow> read_summary() const;
  // Any such table: /<group>/<name> written whole; read by its path ("variants/summary").
  void write_table(const std::string& group, const std::string& name,
                   const std::vector<SummaryRow>& rows);
  std::vector<SummaryRow> read_table(const std::string& dataset) const;

  // Several writes published as one: the file changes by all of them or, when one fails
  // (or the process dies), by none. Nested batches join the outer one. `estimate_bytes`:
  // about how much the writes add, for the free-space check.
  void batch(const std::function<void()>& writes, int64_t estimate_bytes = 0);
  // Records a failure: `error` and status `failed` in one write, which needs only the room
  // of a copy of the file, the room every other write leaves free.
  void record_failure(const std::string& message);
  // The staged copy's name, `<path>.writing`: a leftover of a killed writer is removed by
  // the next writer (under the run's lock, run_lock.h).
  static std::string staging_path(const std::string& path) { return path + ".writing"; }

  bool exists(const std::string& object_path) const;
  // Deletes /<object_path> (a group and all below it, or a dataset) if present.
  void remove(const std::string& object_path);
  // String attributes of a group (created if missing).
  void set_group_attrs(const std::string& group, const std::map<std::string, std::string>& attrs);
  std::map<std::string, std::string> group_attrs(const std::string& group) const;
  // Keeps the rows of /<group> whose `step` column is <= max_step (resume drops the rows
  // written after the checkpoint it continues from).
  void truncate_after_step(const std::string& group, double max_step);

 private:
  explicit RunFile(std::string path) : path_(std::move(path)) {}
  class Session;  // one write: to the open batch's copy, or to a copy of its own
  friend class Session;
  // The file reads and writes go to: the staged copy during a batch, else the file.
  const std::string& current() const { return staging_.empty() ? path_ : staging_; }
  void begin_batch(int64_t estimate_bytes);
  void write_variant_parts(const std::string& name, const Tensor& samples,
                           const std::map<std::string, std::string>& attrs);
  void end_batch(bool publish);
  std::string path_;
  std::string staging_;        // during a batch: the copy being written
  std::string target_;         // during a batch: the real file it replaces (symlinks resolved)
  bool last_write_ = false;    // record_failure(): may use the room kept for it
  bool discard_ = false;
};

}  // namespace genlab
