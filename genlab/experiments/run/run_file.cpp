#include "genlab/experiments/run/run_file.h"

#include <fcntl.h>
#include <hdf5.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <set>
#include <stdexcept>

namespace genlab {
namespace {

// Owns an HDF5 identifier; HDF5's own error printing is off, failures throw.
class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t), const std::string& what) : id_(id), close_(close) {
    if (id < 0) throw std::runtime_error(what);
  }
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  Handle(Handle&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = -1; }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return id_; }
  // Closes now; the status says whether HDF5 could (closing a file writes its metadata).
  herr_t close() {
    const herr_t status = id_ >= 0 ? close_(id_) : 0;
    id_ = -1;
    return status;
  }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

void quiet() {
  static const bool done = [] {
    // No HDF5 clean-up at exit: after a failed write (a full disk) HDF5 keeps the file it
    // could not close in its tables, and closing it again at exit crashed the process
    // after it had reported the error. The OS closes the file; what was flushed stays.
    H5dont_atexit();
    // No HDF5 file locks: with them a reader that has the file open (a notebook) would
    // make the run's next write fail. Without them a reader that opens the file during
    // one of the short writes may get a transient error and retries; the run goes on.
    setenv("HDF5_USE_FILE_LOCKING", "FALSE", 0);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)done;
}

// A failed HDF5 call: `what`, and the system's reason when it set one (a full disk
// reads "No space left on device", a file-size limit "File too large").
void check(herr_t status, const std::string& what) {
  if (status >= 0) return;
  const int err = errno;
  throw std::runtime_error(what + (err ? " (" + std::string(std::strerror(err)) + ")" : ""));
}

// Why HDF5 could not open `path`, in the words of what the file is: HDF5's own answer
// ("unable to open file") says nothing a user can act on.
std::string why_not_hdf5(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return "it is a folder";
  if (::access(path.c_str(), R_OK) != 0) return std::string("cannot read it (") + std::strerror(errno) + ")";
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size == 0) return "it is empty (0 bytes)";
  std::string head(512, '\0');
  {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return std::string("cannot read it (") + std::strerror(errno) + ")";
    head.resize(std::fread(head.data(), 1, head.size(), f));
    std::fclose(f);
  }
  const std::string size_text = ec ? "" : ", " + std::to_string(size) + " bytes";
  if (head.rfind("\x89HDF\r\n\x1a\n", 0) == 0)
    return "it starts as an HDF5 file but HDF5 cannot read it: cut short or damaged" + size_text;
  const bool text = std::all_of(head.begin(), head.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 || c == '\n' || c == '\r' || c == '\t';
  });
  if (!text) return "it is not an HDF5 file" + size_text;
  const std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".yaml" || ext == ".yml" || head.find(':') != std::string::npos)
    return "it is a text file (a config? `genlab run CONFIG` reads configs; info, compare, report and "
           "sample read the run file a run writes)";
  return "it is a text file, not HDF5";
}

// `what` names the kind of file in errors ("run file", "HDF5 data file").
// `shown`: the name errors give the file (a staged copy's errors name the run file).
Handle open_file(const std::string& path, bool write, const std::string& what = "run file",
                 const std::string& shown = "") {
  quiet();
  const std::string name = shown.empty() ? path : shown;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw std::runtime_error(name + ": no such " + what);
  errno = 0;  // so that check() reports this operation's system error, not an older one
  const hid_t id = H5Fopen(path.c_str(), write ? H5F_ACC_RDWR : H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) throw std::runtime_error(name + ": cannot open as an HDF5 " + what + ": " + why_not_hdf5(path));
  return Handle(id, H5Fclose, name);
}

bool link_exists(hid_t loc, const std::string& path) {
  // Check each prefix: H5Lexists fails on a path whose parent is missing.
  size_t pos = 0;
  while (true) {
    pos = path.find('/', pos + 1);
    const std::string prefix = path.substr(0, pos);
    if (!prefix.empty() && prefix != "/" && H5Lexists(loc, prefix.c_str(), H5P_DEFAULT) <= 0)
      return false;
    if (pos == std::string::npos) return true;
  }
}

Handle group(hid_t file, const std::string& path, const std::string& file_name) {
  if (link_exists(file, path))
    return Handle(H5Gopen2(file, path.c_str(), H5P_DEFAULT), H5Gclose,
                  file_name + ": cannot open " + path);
  Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose, "property list");
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  return Handle(H5Gcreate2(file, path.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
                file_name + ": cannot create " + path);
}

Handle string_type() {
  Handle t(H5Tcopy(H5T_C_S1), H5Tclose, "string type");
  H5Tset_size(t.get(), H5T_VARIABLE);
  H5Tset_cset(t.get(), H5T_CSET_UTF8);
  return t;
}

void write_string_attr(hid_t obj, const std::string& name, const std::string& value) {
  if (H5Aexists(obj, name.c_str()) > 0) H5Adelete(obj, name.c_str());
  Handle t = string_type();
  Handle space(H5Screate(H5S_SCALAR), H5Sclose, "dataspace");
  Handle a(H5Acreate2(obj, name.c_str(), t.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
           "cannot create attribute " + name);
  const char* p = value.c_str();
  check(H5Awrite(a.get(), t.get(), &p), "cannot write attribute " + name);
}

// Attributes read by H5Aiterate2: values, or the first problem (a C callback must not
// throw; the caller throws it, naming the file and the object).
struct AttrCollect {
  std::map<std::string, std::string> values;
  std::string problem;
};

herr_t collect_attr(hid_t obj, const char* name, const H5A_info_t*, void* out) {
  auto& collect = *static_cast<AttrCollect*>(out);
  auto& m = collect.values;
  Handle a(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose, "attribute");
  Handle t(H5Aget_type(a.get()), H5Tclose, "attribute type");
  Handle space(H5Aget_space(a.get()), H5Sclose, "attribute space");
  const H5T_class_t cls = H5Tget_class(t.get());
  if (H5Sget_simple_extent_npoints(space.get()) != 1) {
    collect.problem = "attribute '" + std::string(name) + "' holds " +
                      std::to_string(H5Sget_simple_extent_npoints(space.get())) +
                      " values; a run file's attributes are single values";
    return 1;  // stop
  }
  if (cls != H5T_STRING && cls != H5T_INTEGER && cls != H5T_FLOAT) {
    collect.problem = "attribute '" + std::string(name) + "' is neither text nor a number";
    return 1;
  }
  if (cls == H5T_STRING) {
    if (H5Tis_variable_str(t.get()) > 0) {
      Handle mt = string_type();
      char* p = nullptr;
      if (H5Aread(a.get(), mt.get(), &p) >= 0 && p) {
        m[name] = p;
        H5free_memory(p);
      }
    } else {
      std::string s(H5Tget_size(t.get()), '\0');
      H5Aread(a.get(), t.get(), s.data());
      m[name] = s.c_str();
    }
  } else if (cls == H5T_INTEGER) {
    long long v = 0;
    H5Aread(a.get(), H5T_NATIVE_LLONG, &v);
    m[name] = std::to_string(v);
  } else {
    double v = 0;
    H5Aread(a.get(), H5T_NATIVE_DOUBLE, &v);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    m[name] = buf;
  }
  return 0;
}

std::vector<std::string> children(hid_t g) {
  std::vector<std::string> names;
  H5Literate(
      g, H5_INDEX_NAME, H5_ITER_INC, nullptr,
      [](hid_t, const char* name, const H5L_info_t*, void* out) -> herr_t {
        static_cast<std::vector<std::string>*>(out)->push_back(name);
        return 0;
      },
      &names);
  return names;
}

constexpr size_t kTextWidth = 64;  // fixed-length text columns of the summary table

}  // namespace

const std::set<std::string>& integer_columns() {
  static const std::set<std::string> names{"step",          "epoch",    "nfe",
                                           "examples",      "iwae_k",   "ensemble",
                                           "elbo_examples", "iwae_examples"};
  return names;
}

namespace {

// "y [100, 2], labels [100]": the datasets of a file (the first 12), for the error that
// names a missing one.
std::string dataset_list(hid_t file) {
  struct Found {
    std::vector<std::string> names;
    int more = 0;
  } found;
  H5Lvisit(file, H5_INDEX_NAME, H5_ITER_INC,
           [](hid_t group, const char* name, const H5L_info_t*, void* data) -> herr_t {
             auto& f = *static_cast<Found*>(data);
             const hid_t d = H5Dopen2(group, name, H5P_DEFAULT);
             if (d < 0) return 0;  // a group
             std::string shape;
             const hid_t space = H5Dget_space(d);
             const int rank = H5Sget_simple_extent_ndims(space);
             std::vector<hsize_t> dims(static_cast<size_t>(std::max(rank, 0)));
             if (rank > 0) H5Sget_simple_extent_dims(space, dims.data(), nullptr);
             for (size_t i = 0; i < dims.size(); ++i) shape += (i ? ", " : "") + std::to_string(dims[i]);
             H5Sclose(space);
             H5Dclose(d);
             if (f.names.size() < 12)
               f.names.push_back(std::string(name) + " [" + shape + "]");
             else
               ++f.more;
             return 0;
           },
           &found);
  if (found.names.empty()) return "no datasets";
  std::string out;
  for (const auto& n : found.names) out += (out.empty() ? "" : ", ") + n;
  return out + (found.more ? " and " + std::to_string(found.more) + " more" : "");
}

Tensor read_array(const std::string& file, const std::string& dataset, const std::string& what,
                  const std::string& key = "") {
  Handle f = open_file(file, false, what);
  if (!link_exists(f.get(), dataset))
    throw std::runtime_error(file + ": no dataset '" + dataset + "'" + (key.empty() ? "" : " (" + key + ")") +
                             "; it holds " + dataset_list(f.get()));
  Handle d(H5Dopen2(f.get(), dataset.c_str(), H5P_DEFAULT), H5Dclose,
           file + ": '" + dataset + "' is not a dataset");
  Handle space(H5Dget_space(d.get()), H5Sclose, "dataspace");
  Handle type(H5Dget_type(d.get()), H5Tclose, "type");
  const H5T_class_t cls = H5Tget_class(type.get());
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if ((cls != H5T_FLOAT && cls != H5T_INTEGER) || rank < 0 || rank > 8)
    throw std::runtime_error(file + ": '" + dataset + "' is not an array of numbers (of rank <= 8)");
  std::vector<hsize_t> dims(std::max(rank, 0));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  Shape shape(dims.begin(), dims.end());
  int64_t n = 1;
  for (auto s : shape) n *= s;
  std::vector<float> v(n);
  check(H5Dread(d.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()),
        file + ": cannot read '" + dataset + "' as numbers");
  return Tensor::from_vector(v, shape);
}

}  // namespace

Tensor read_hdf5_array(const std::string& file, const std::string& dataset, const std::string& key) {
  return read_array(file, dataset, "data file", key);
}

namespace {

// Room a write must leave beyond its own bytes: HDF5's metadata and block allocations.
constexpr uintmax_t kWriteMargin = 1 << 20;

uintmax_t file_size_or_zero(const std::string& path) {
  std::error_code ec;
  const uintmax_t n = std::filesystem::file_size(path, ec);
  return ec ? 0 : n;
}

std::string mib(uintmax_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return buf;
}

// Refuses (DiskFull, before anything is written) when the file system of `path` has less
// than `need` bytes free for this user.
void ensure_room(const std::string& path, uintmax_t need, const std::string& what) {
  struct statvfs fs {};
  const std::string dir = std::filesystem::path(path).parent_path().string();
  if (statvfs(dir.empty() ? "." : dir.c_str(), &fs) != 0) return;  // unknown: let the write tell
  const uintmax_t free_bytes = static_cast<uintmax_t>(fs.f_bavail) * fs.f_frsize;
  if (free_bytes >= need) return;
  throw DiskFull(path + ": the disk is nearly full: " + mib(free_bytes) + " free, and " + what + " needs " +
                 mib(need) + "; nothing of it was written and the file is as it was. Free some space, then "
                 "continue (genlab run --resume " + path + ")");
}

// Writes the file's data and its directory entry to the disk.
void sync_path(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) return;
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  // Directories on some file systems do not support fsync; a data file must.
  if (rc != 0 && !directory) throw std::runtime_error(path + ": cannot sync to disk (" + std::strerror(err) + ")");
}

std::string parent_dir(const std::string& path) {
  const std::string dir = std::filesystem::path(path).parent_path().string();
  return dir.empty() ? "." : dir;
}

// A written file's access list: HDF5 closes every object of the file when the file is
// closed, so closing it is the end of all writing to it (nothing reaches it after it is
// published).
Handle closes_everything() {
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "file access property list");
  H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG);
  return fapl;
}

// A write's file, the staged copy.
Handle open_for_write(const std::string& path, const std::string& shown) {
  quiet();
  errno = 0;
  return Handle(H5Fopen(path.c_str(), H5F_ACC_RDWR, closes_everything().get()), H5Fclose,
                shown + ": cannot open as an HDF5 run file");
}

}  // namespace

// One write: opened on the batch's copy when a batch is open, else in a batch of its own
// that commit() publishes. Destroyed without commit (an exception): the write is undone.
class RunFile::Session {
 public:
  explicit Session(RunFile& f, int64_t estimate_bytes = 0) : f_(f), own_(f.staging_.empty()) {
    if (own_) f_.begin_batch(estimate_bytes);
    try {
      file_ = std::make_unique<Handle>(open_for_write(f_.staging_, f_.path_));
    } catch (...) {
      if (own_) f_.end_batch(false);
      throw;
    }
  }
  ~Session() {
    if (done_) return;
    file_.reset();
    if (own_) f_.end_batch(false);
  }
  Handle& file() { return *file_; }
  void commit() {
    errno = 0;
    const herr_t closed = file_->close();
    done_ = true;
    if (closed < 0) {
      const int err = errno;
      if (own_) f_.end_batch(false);
      throw std::runtime_error(f_.path_ + ": cannot write to the file" +
                               (err ? " (" + std::string(std::strerror(err)) + ")" : std::string()) +
                               "; it is as it was before this write");
    }
    if (own_) f_.end_batch(true);
  }

 private:
  RunFile& f_;
  bool own_;
  bool done_ = false;
  std::unique_ptr<Handle> file_;
};

namespace {

// The file a name stands for: a symlink's target (written through, never replaced by a
// file), a relative name as it is.
std::string real_file(const std::string& path) {
  std::error_code ec;
  const std::filesystem::path real = std::filesystem::canonical(path, ec);
  return ec ? path : real.string();
}

}  // namespace

void RunFile::begin_batch(int64_t estimate_bytes) {
  target_ = real_file(path_);
  const std::string tmp = staging_path(target_);
  const uintmax_t size = file_size_or_zero(target_);
  // A copy of the file, the write, its margin, and (unless this is that write) the room to
  // record a failure afterwards: another copy.
  const uintmax_t need = size + static_cast<uintmax_t>(std::max<int64_t>(estimate_bytes, 0)) + kWriteMargin +
                         (last_write_ ? 0 : size + kWriteMargin);
  ensure_room(target_, need, last_write_ ? "recording the failure" : "the next write");
  std::error_code ec;
  std::filesystem::copy_file(target_, tmp, std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw std::runtime_error(path_ + ": cannot copy the run file for a write (" + ec.message() +
                             "); it is as it was before this write");
  }
  staging_ = tmp;
}

void RunFile::end_batch(bool publish) {
  const std::string tmp = staging_;
  staging_.clear();
  std::error_code ec;
  if (!publish) {
    std::filesystem::remove(tmp, ec);
    return;
  }
  try {
    sync_path(tmp, false);
  } catch (...) {
    std::filesystem::remove(tmp, ec);
    throw;
  }
  if (std::rename(tmp.c_str(), target_.c_str()) != 0) {
    const int err = errno;
    std::filesystem::remove(tmp, ec);
    throw std::runtime_error(path_ + ": cannot replace the run file with its written copy (" +
                             std::strerror(err) + "); it is as it was before this write");
  }
  sync_path(parent_dir(target_), true);
}

void RunFile::batch(const std::function<void()>& writes, int64_t estimate_bytes) {
  if (discard_ || !staging_.empty()) {  // a rank that writes nothing, or a nested batch
    writes();
    return;
  }
  begin_batch(estimate_bytes);
  try {
    writes();
  } catch (...) {
    end_batch(false);
    throw;
  }
  end_batch(true);
}

void RunFile::record_failure(const std::string& message) {
  if (discard_) return;
  last_write_ = true;
  try {
    batch([&] {
      set_attr("error", message);
      set_status("failed");
    });
  } catch (...) {
    last_write_ = false;
    throw;
  }
  last_write_ = false;
}

RunFile RunFile::create(const std::string& path, const std::map<std::string, std::string>& attrs,
                        const std::string& config_yaml) {
  quiet();
  // Made beside and published by rename, as every write: a file of this name (an
  // --overwrite) stays until the new one is complete.
  const std::string tmp = staging_path(path);
  ensure_room(path, 2 * kWriteMargin + config_yaml.size(), "creating the run file");
  try {
    Handle f(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, closes_everything().get()), H5Fclose,
             path + ": cannot create the run file (does its folder exist and is it writable?)");
    for (const auto& [k, v] : attrs) write_string_attr(f.get(), k, v);
    write_string_attr(f.get(), "config_yaml", config_yaml);
    write_string_attr(f.get(), "status", "running");
    check(f.close(), path + ": cannot write the new run file");
    sync_path(tmp, false);
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
      throw std::runtime_error(path + ": cannot create the run file (" + std::string(std::strerror(errno)) + ")");
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    throw;
  }
  sync_path(parent_dir(path), true);
  return RunFile(path);
}

RunFile RunFile::discard() {
  RunFile f("");
  f.discard_ = true;
  return f;
}

RunFile RunFile::open(const std::string& path) {
  { Handle f = open_file(path, false); }
  return RunFile(path);
}

void RunFile::set_attr(const std::string& name, const std::string& value) {
  if (discard_) return;  // a rank other than 0 (issue 16)
  Session w(*this);
  Handle& f = w.file();
  write_string_attr(f.get(), name, value);
  w.commit();
}

void RunFile::set_attr(const std::string& name, int64_t value) {
  if (discard_) return;  // a rank other than 0 (issue 16)
  Session w(*this);
  Handle& f = w.file();
  if (H5Aexists(f.get(), name.c_str()) > 0) H5Adelete(f.get(), name.c_str());
  Handle space(H5Screate(H5S_SCALAR), H5Sclose, "dataspace");
  Handle a(H5Acreate2(f.get(), name.c_str(), H5T_NATIVE_INT64, space.get(), H5P_DEFAULT,
                      H5P_DEFAULT),
           H5Aclose, path_ + ": cannot create attribute " + name);
  check(H5Awrite(a.get(), H5T_NATIVE_INT64, &value), path_ + ": cannot write attribute " + name);
  w.commit();
}

std::string RunFile::config_yaml(const std::map<std::string, std::string>& attrs, const std::string& path) {
  const auto it = attrs.find("config_yaml");
  if (it == attrs.end())
    throw std::runtime_error(path + ": an HDF5 file without a stored config (root attribute config_yaml): not a "
                             "run file that `genlab run` wrote");
  return it->second;
}

std::map<std::string, std::string> RunFile::attrs() const {
  if (discard_) return {};
  Handle f = open_file(current(), false, "run file", path_);
  AttrCollect m;
  hsize_t idx = 0;
  H5Aiterate2(f.get(), H5_INDEX_NAME, H5_ITER_INC, &idx, collect_attr, &m);
  if (!m.problem.empty()) throw std::runtime_error(path_ + ": /: " + m.problem);
  return m.values;
}

bool RunFile::exists(const std::string& object_path) const {
  if (discard_) return {};
  Handle f = open_file(current(), false, "run file", path_);
  return link_exists(f.get(), object_path);
}

void RunFile::set_group_attrs(const std::string& group_name,
                              const std::map<std::string, std::string>& attrs) {
  if (discard_) return;  // a rank other than 0 (issue 16)
  Session w(*this);
  Handle& f = w.file();
  Handle g = group(f.get(), "/" + group_name, path_);
  for (const auto& [k, v] : attrs) write_string_attr(g.get(), k, v);
  check(H5Fflush(f.get(), H5F_SCOPE_GLOBAL), path_ + ": cannot write to the file");
  w.commit();
}

std::map<std::string, std::string> RunFile::group_attrs(const std::string& group_name) const {
  if (discard_) return {};
  Handle f = open_file(current(), false, "run file", path_);
  AttrCollect m;
  if (!link_exists(f.get(), "/" + group_name)) return m.values;
  Handle g(H5Gopen2(f.get(), ("/" + group_name).c_str(), H5P_DEFAULT), H5Gclose,
           path_ + ": /" + group_name + " is not a group");
  hsize_t idx = 0;
  H5Aiterate2(g.get(), H5_INDEX_NAME, H5_ITER_INC, &idx, collect_attr, &m);
  if (!m.problem.empty()) throw std::runtime_error(path_ + ": /" + group_name + ": " + m.problem);
  return m.values;
}

void RunFile::remove(const std::string& object_path) {
  if (discard_) return;  // a rank other than 0 (issue 16)
  if (!exists("/" + object_path)) return;
  Session w(*this);
  Handle& f = w.file();
  check(H5Ldelete(f.get(), ("/" + object_path).c_str(), H5P_DEFAULT),
        path_ + ": cannot delete /" + object_path);
  check(H5Fflush(f.get(), H5F_SCOPE_GLOBAL), path_ + ": cannot write to the file");
  w.commit();
}

void RunFile::truncate_after_step(const std::string& group_name, double max_step) {
  if (discard_) return;  // a rank other than 0 (issue 16)
  const auto cols = read_columns(group_name);
  const auto it = cols.find("step");
  if (it == cols.end()) return;
  hsize_t keep = 0;
  while (keep < it->second.size() && it->second[keep] <= max_step) ++keep;
  Session w(*this);
  Handle& f = w.file();
  Handle g(H5Gopen2(f.get(), ("/" + group_name).c_str(), H5P_DEFAULT), H5Gclose,
           "group " + group_name);
  for (const auto& [col, values] : cols) {
    Handle d(H5Dopen2(g.get(), col.c_str(), H5P_DEFAULT), H5Dclose, "dataset " + col);
    const hsize_t size[1] = {keep};
    check(H5Dset_extent(d.get(), size), path_ + ": cannot truncate /" + group_name + "/" + col);
  }
  check(H5Fflush(f.get(), H5F_SCOPE_GLOBAL), path_ + ": cannot write to the file");
  w.commit();
}

void RunFile::append(const std::string& group_name, const std::map<std::string, double>& row) {
  if (discard_) return;  // a rank other than 0 (issue 16)
  Session w(*this);
  Handle& f = w.file();
  Handle g = group(f.get(), "/" + group_name, path_);
  for (const auto& [col, value] : row) {
    if (H5Lexists(g.get(), col.c_str(), H5P_DEFAULT) <= 0) {
      const hsize_t dims[1] = {0}, maxdims[1] = {H5S_UNLIMITED}, chunk[1] = {256};
      Handle space(H5Screate_simple(1, dims, maxdims), H5Sclose, "dataspace");
      Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "property list");
      H5Pset_chunk(dcpl.get(), 1, chunk);
      // Counts stored as integers (HDF5 converts the double written below on the way in).
      const hid_t file_type = integer_columns().count(col) ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE;
      Handle d(H5Dcreate2(g.get(), col.c_str(), file_type, space.get(), H5P_DEFAULT,
                          dcpl.get(), H5P_DEFAULT),
               H5Dclose, path_ + ": cannot create /" + group_name + "/" + col);
    }
    Handle d(H5Dopen2(g.get(), col.c_str(), H5P_DEFAULT), H5Dclose, "dataset " + col);
    hsize_t n = 0;
    {
      Handle space(H5Dget_space(d.get()), H5Sclose, "dataspace");
      H5Sget_simple_extent_dims(space.get(), &n, nullptr);
    }
    const hsize_t new_size[1] = {n + 1}, start[1] = {n}, count[1] = {1};
    check(H5Dset_extent(d.get(), new_size), path_ + ": cannot extend /" + group_name + "/" + col);
    Handle space(H5Dget_space(d.get()), H5Sclose, "dataspace");
    H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr);
    Handle mem(H5Screate_simple(1, count, nullptr), H5Sclose, "dataspace");
    check(H5Dwrite(d.get(), H5T_NATIVE_DOUBLE, mem.get(), space.get(), H5P_DEFAULT, &value),
          path_ + ": cannot append to /" + group_name + "/" + col);
  }
  check(H5Fflush(f.get(), H5F_SCOPE_GLOBAL), path_ + ": cannot write to the file");
  w.commit();
}

std::map<std::string, std::vector<double>> RunFile::read_columns(
    const std::string& group_name) const {
  if (discard_) return {};
  Handle f = open_file(current(), false, "run file", path_);
  std::map<std::string, std::vector<double>> out;
  if (!link_exists(f.get(), "/" + group_name)) return out;
  Handle g(H5Gopen2(f.get(), ("/" + group_name).c_str(), H5P_DEFAULT), H5Gclose,
           "group " + group_name);
  for (const auto& col : children(g.get())) {
    const std::string where = path_ + ": /" + group_name + "/" + col;
    Handle d(H5Dopen2(g.get(), col.c_str(), H5P_DEFAULT), H5Dclose, where + " is not a dataset");
    Handle space(H5Dget_space(d.get()), H5Sclose, "dataspace");
    Handle type(H5Dget_type(d.get()), H5Tclose, "type");
    const H5T_class_t cls = H5Tget_class(type.get());
    if (H5Sget_simple_extent_ndims(space.get()) != 1 || (cls != H5T_FLOAT && cls != H5T_INTEGER))
      throw std::runtime_error(where + ": a column must be a 1-D array of numbers");
    hsize_t n = 0;
    H5Sget_simple_extent_dims(space.get(), &n, nullptr);
    std::vector<double> v(n);
    if (n)
      check(H5Dread(d.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()),
            "read " + col);
    out[col] = std::move(v);
  }
  // A live run appends a row column by column: a row exists once every column has it.
  size_t rows = SIZE_MAX;
  for (const auto& [k, v] : out) rows = std::min(rows, v.size());
  for (auto& [k, v] : out) v.resize(rows);
  return out;
}

void RunFile::write_tensors(const std::string& group_name,
                            const std::map<std::string, Tensor>& tensors) {
  if (discard_) return;  // a rank other than 0 (issue 16)
  int64_t bytes = 0;
  for (const auto& [name, t] : tensors) bytes += 4 * t.numel();
  Session w(*this, bytes);
  Handle& f = w.file();
  Handle g = group(f.get(), "/" + group_name, path_);
  for (const auto& [name, t] : tensors) {
    std::vector<hsize_t> dims(t.shape().begin(), t.shape().end());
    const auto v = t.to_vector();
    // A float dataset of the same shape is overwritten in place: checkpoint slots then
    // reuse their space instead of growing the file by a model's size each time (a
    // deleted dataset's space is never reused by HDF5).
    if (H5Lexists(g.get(), name.c_str(), H5P_DEFAULT) > 0) {
      bool same = false;
      {
        Handle old(H5Dopen2(g.get(), name.c_str(), H5P_DEFAULT), H5Dclose, "dataset " + name);
        Handle old_space(H5Dget_space(old.get()), H5Sclose, "dataspace");
        Handle old_type(H5Dget_type(old.get()), H5Tclose, "type");
        const int rank = H5Sget_simple_extent_ndims(old_space.get());
        std::vector<hsize_t> old_dims(std::max(rank, 0));
        H5Sget_simple_extent_dims(old_space.get(), old_dims.data(), nullptr);
        same = old_dims == dims && H5Tget_class(old_type.get()) == H5T_FLOAT &&
               H5Tget_size(old_type.get()) == sizeof(float);
        if (same)
          check(H5Dwrite(old.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()),
                path_ + ": cannot write /" + group_name + "/" + name);
      }
      if (same) continue;
      H5Ldelete(g.get(), name.c_str(), H5P_DEFAULT);
    }
    Handle space(dims.empty()
                     ? H5Screate(H5S_SCALAR)
                     : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                 H5Sclose, "dataspace");
    Handle d(H5Dcreate2(g.get(), name.c_str(), H5T_NATIVE_FLOAT, space.get(), H5P_DEFAULT,
                        H5P_DEFAULT, H5P_DEFAULT),
             H5Dclose, path_ + ": cannot create /" + group_name + "/" + name);
    check(H5Dwrite(d.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()),
          "write " + name);
  }
  check(H5Fflush(f.get(), H5F_SCOPE_GLOBAL), path_ + ": cannot write to the file");
  w.commit();
}

std::map<std::string, Tensor> RunFile::read_tensors(const std::string& group_name) const {
  if (discard_) return {};
  std::vector<std::string> datasets;
  {
    Handle f = open_file(current(), false, "run file", path_);
    Handle g(H5Gopen2(f.get(), ("/" + group_name).c_str(), H5P_DEFAULT), H5Gclose,
             path_ + ": no group /" + group_name);
    for (const auto& name : children(g.get())) {
      H5O_info_t info;
      if (H5Oget_info_by_name(g.get(), name.c_str(), &info, H5P_DEFAULT) >= 0 &&
          info.type == H5O_TYPE_DATASET)
        datasets.push_back(name);
    }
  }
  std::map<std::string, Tensor> out;
  for (const auto& name : datasets)
    out[name] = read_array(current(), "/" + group_name + "/" + name, "run file");
  return out;
}

void RunFile::write_variant(const std::string& name, const Tensor& samples,
                            const std::map<std::string, std::string>& attrs) {
  if (discard_) return;  // a rank other than 0 (issue 16)
  batch([&] { write_variant_parts(name, samples, attrs); }, 4 * samples.numel());
}

void RunFile::write_variant_parts(const std::string& name, const Tensor& samples,
                                  const std::map<std::string, std::string>& attrs) {
  write_tensors("variants/" + name, {{"samples", samples}});
  Session w(*this);
  Handle& f = w.file();
  Handle g(H5Gopen2(f.get(), ("/variants/" + name).c_str(), H5P_DEFAULT), H5Gclose,
           "variant " + name);
  for (const auto& [k, v] : attrs) write_string_attr(g.get(), k, v);
  w.commit();
}

void RunFile::write_image(const std::string& group_name, const std::string& name,
                          const std::vector<uint8_t>& pixels, int64_t height, int64_t width) {
  if (discard_) return;  // a rank other than 0 (issue 16)
  if (static_cast<int64_t>(pixels.size()) != height * width)
    throw std::invalid_argument("write_image: " + std::to_string(pixels.size()) + " pixels for " +
                                std::to_string(height) + "x" + std::to_string(width));
  Session w(*this);
  Handle& f = w.file();
  Handle g = group(f.get(), "/" + group_name, path_);
  if (H5Lexists(g.get(), name.c_str(), H5P_DEFAULT) > 0) H5Ldelete(g.get(), name.c_str(), H5P_DEFAULT);
  const hsize_t dims[2] = {static_cast<hsize_t>(height), static_cast<hsize_t>(width)};
  Handle space(H5Screate_simple(2, dims, nullptr), H5Sclose, "dataspace");
  Handle d(H5Dcreate2(g.get(), name.c_str(), H5T_NATIVE_UINT8, space.get(), H5P_DEFAULT,
                      H5P_DEFAULT, H5P_DEFAULT),
           H5Dclose, path_ + ": cannot create /" + group_name + "/" + name);
  check(H5Dwrite(d.get(), H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, pixels.data()),
        path_ + ": cannot write /" + group_name + "/" + name);
  write_string_attr(d.get(), "CLASS", "IMAGE");
  write_string_attr(d.get(), "IMAGE_VERSION", "1.2");
  write_string_attr(d.get(), "IMAGE_SUBCLASS", "IMAGE_GRAYSCALE");
  w.commit();
}

Tensor RunFile::read_samples(const std::string& variant) const {
  if (discard_) return {};
  const auto t = read_tensors("variants/" + variant);
  const auto it = t.find("samples");
  if (it == t.end()) throw std::runtime_error(path_ + ": variant '" + variant + "' has no samples");
  return it->second;
}

void RunFile::write_summary(const std::vector<SummaryRow>& rows) {
  if (discard_) return;  // a rank other than 0 (issue 16)
  write_table("variants", "summary", rows);
}

std::vector<SummaryRow> RunFile::read_summary() const { return read_table("variants/summary"); }

void RunFile::write_table(const std::string& group_name, const std::string& name,
                          const std::vector<SummaryRow>& rows) {
  if (discard_) return;  // a rank other than 0 (issue 16)
  std::set<std::string> text_cols, number_cols;
  for (const auto& r : rows) {
    for (const auto& [k, v] : r.text) text_cols.insert(k);
    for (const auto& [k, v] : r.numbers) number_cols.insert(k);
  }
  const size_t row_size = text_cols.size() * kTextWidth + number_cols.size() * sizeof(double);
  Handle str(H5Tcopy(H5T_C_S1), H5Tclose, "string type");
  H5Tset_size(str.get(), kTextWidth);
  H5Tset_strpad(str.get(), H5T_STR_NULLPAD);
  Handle type(H5Tcreate(H5T_COMPOUND, row_size), H5Tclose, "compound type");
  size_t offset = 0;
  for (const auto& c : text_cols)
    H5Tinsert(type.get(), c.c_str(), offset, str.get()), offset += kTextWidth;
  for (const auto& c : number_cols)
    H5Tinsert(type.get(), c.c_str(), offset, H5T_NATIVE_DOUBLE), offset += sizeof(double);
  std::vector<char> buf(rows.size() * row_size, 0);
  for (size_t i = 0; i < rows.size(); ++i) {
    char* p = buf.data() + i * row_size;
    for (const auto& c : text_cols) {
      const auto it = rows[i].text.find(c);
      if (it != rows[i].text.end()) std::strncpy(p, it->second.c_str(), kTextWidth - 1);
      p += kTextWidth;
    }
    for (const auto& c : number_cols) {
      const auto it = rows[i].numbers.find(c);
      const double v = it == rows[i].numbers.end() ? std::nan("") : it->second;
      std::memcpy(p, &v, sizeof v);
      p += sizeof(double);
    }
  }
  Session w(*this);
  Handle& f = w.file();
  Handle g = group(f.get(), "/" + group_name, path_);
  if (H5Lexists(g.get(), name.c_str(), H5P_DEFAULT) > 0) H5Ldelete(g.get(), name.c_str(), H5P_DEFAULT);
  const hsize_t dims[1] = {rows.size()};
  Handle space(H5Screate_simple(1, dims, nullptr), H5Sclose, "dataspace");
  Handle d(H5Dcreate2(g.get(), name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT,
                      H5P_DEFAULT),
           H5Dclose, path_ + ": cannot create /" + group_name + "/" + name);
  if (!rows.empty())
    check(H5Dwrite(d.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()),
          "write summary");
  check(H5Fflush(f.get(), H5F_SCOPE_GLOBAL), path_ + ": cannot write to the file");
  w.commit();
}

std::vector<SummaryRow> RunFile::read_table(const std::string& dataset) const {
  if (discard_) return {};
  Handle f = open_file(current(), false, "run file", path_);
  std::vector<SummaryRow> rows;
  if (!link_exists(f.get(), "/" + dataset)) return rows;
  Handle d(H5Dopen2(f.get(), ("/" + dataset).c_str(), H5P_DEFAULT), H5Dclose, dataset);
  Handle type(H5Dget_type(d.get()), H5Tclose, "summary type");
  Handle space(H5Dget_space(d.get()), H5Sclose, "dataspace");
  const std::string where = path_ + ": /" + dataset;
  if (H5Tget_class(type.get()) != H5T_COMPOUND || H5Sget_simple_extent_ndims(space.get()) != 1)
    throw std::runtime_error(where + ": a table must be a 1-D array of rows (a compound type)");
  hsize_t n = 0;
  H5Sget_simple_extent_dims(space.get(), &n, nullptr);
  const size_t row_size = H5Tget_size(type.get());
  // Each column: fixed-length text (read within its own width) or an 8-byte float.
  for (int m = 0; m < H5Tget_nmembers(type.get()); ++m) {
    Handle mt(H5Tget_member_type(type.get(), m), H5Tclose, "member type");
    const bool text = H5Tget_class(mt.get()) == H5T_STRING && H5Tis_variable_str(mt.get()) <= 0;
    const bool number = H5Tget_class(mt.get()) == H5T_FLOAT && H5Tget_size(mt.get()) == 8;
    if ((!text && !number) || H5Tget_member_offset(type.get(), m) + H5Tget_size(mt.get()) > row_size)
      throw std::runtime_error(where + ": column " + std::to_string(m) +
                               " is neither fixed-length text nor an 8-byte number");
  }
  std::vector<char> buf(n * row_size);
  if (n)
    check(H5Dread(d.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()), "read summary");
  const int members = H5Tget_nmembers(type.get());
  rows.resize(n);
  for (int m = 0; m < members; ++m) {
    char* cname = H5Tget_member_name(type.get(), m);
    const std::string name = cname;
    H5free_memory(cname);
    const size_t off = H5Tget_member_offset(type.get(), m);
    const bool is_text = H5Tget_member_class(type.get(), m) == H5T_STRING;
    Handle mt(H5Tget_member_type(type.get(), m), H5Tclose, "member type");
    const size_t width = H5Tget_size(mt.get());
    for (hsize_t i = 0; i < n; ++i) {
      const char* p = buf.data() + i * row_size + off;
      if (is_text) {
        rows[i].text[name] = std::string(p, strnlen(p, width));
      } else {
        double v;
        std::memcpy(&v, p, sizeof v);
        rows[i].numbers[name] = v;
      }
    }
  }
  return rows;
}

}  // namespace genlab
