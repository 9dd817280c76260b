// Damaged run files: attributes that are arrays, 2-D columns, 2-D tables and short text
// fields are reported with the file and the object, never read past their ends (they
// crashed genlab info, compare and sample under an outside reliability test).
#include <hdf5.h>

#include <catch2/catch.hpp>
#include <sys/wait.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "genlab/core/rng.h"
#include "genlab/experiments/run/run_file.h"
#include "genlab/experiments/eval/variants_table.h"

using namespace genlab;
using Catch::Matchers::Contains;

namespace {

std::string fresh(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / "genlab_tests" / "damaged";
  std::filesystem::create_directories(dir);
  const auto path = dir / name;
  std::filesystem::remove(path);
  RunFile::create(path.string(), {{"status", "completed"}, {"name", "d"}}, "name: d\n");
  return path.string();
}

// Opens the file for raw HDF5 writes.
struct Raw {
  explicit Raw(const std::string& path) : f(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT)) {}
  ~Raw() { H5Fclose(f); }
  hid_t f;
};

void array_attr_of_doubles(const std::string& path, const char* name) {
  Raw r(path);
  H5Adelete(r.f, name);
  const hsize_t n = 3;
  const double v[3] = {1, 2, 3};
  const hid_t space = H5Screate_simple(1, &n, nullptr);
  const hid_t a = H5Acreate2(r.f, name, H5T_NATIVE_DOUBLE, space, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, H5T_NATIVE_DOUBLE, v);
  H5Aclose(a), H5Sclose(space);
}

void array_attr_of_strings(const std::string& path, const char* name, bool variable) {
  Raw r(path);
  H5Adelete(r.f, name);
  const hsize_t n = 2;
  const hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, variable ? H5T_VARIABLE : 4);
  const hid_t space = H5Screate_simple(1, &n, nullptr);
  const hid_t a = H5Acreate2(r.f, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  if (variable) {
    const char* v[2] = {"completed", "failed"};
    H5Awrite(a, type, v);
  } else {
    H5Awrite(a, type, "abcdefgh");
  }
  H5Aclose(a), H5Sclose(space), H5Tclose(type);
}

void dataset_2d(const std::string& path, const char* name) {
  Raw r(path);
  const hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  const hsize_t dims[2] = {3, 2};
  const double v[6] = {1, 2, 3, 4, 5, 6};
  const hid_t space = H5Screate_simple(2, dims, nullptr);
  const hid_t d = H5Dcreate2(r.f, name, H5T_NATIVE_DOUBLE, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
  H5Dclose(d), H5Sclose(space), H5Pclose(lcpl);
}

// /variants/summary with a 4-byte text column "name" and a number column "nfe".
void short_text_summary(const std::string& path) {
  Raw r(path);
  const hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  const hid_t str = H5Tcopy(H5T_C_S1);
  H5Tset_size(str, 4);
  const hid_t type = H5Tcreate(H5T_COMPOUND, 12);
  H5Tinsert(type, "name", 0, str);
  H5Tinsert(type, "nfe", 4, H5T_NATIVE_DOUBLE);
  const hsize_t n = 1;
  char row[12];
  std::memcpy(row, "heun", 4);  // no terminating zero: the field is exactly full
  const double nfe = 35;
  std::memcpy(row + 4, &nfe, 8);
  const hid_t space = H5Screate_simple(1, &n, nullptr);
  const hid_t d = H5Dcreate2(r.f, "/variants/summary", type, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, row);
  H5Dclose(d), H5Sclose(space), H5Tclose(type), H5Tclose(str), H5Pclose(lcpl);
}

}  // namespace

TEST_CASE("damaged run files: errors name the file and the object", "[run_file][damaged]") {
  std::string p = fresh("attr_doubles.h5");
  array_attr_of_doubles(p, "seed");
  CHECK_THROWS_WITH(RunFile::open(p).attrs(),
                    Contains(p + ": /: attribute 'seed' holds 3 values"));
  p = fresh("attr_vlen.h5");
  array_attr_of_strings(p, "status", true);
  CHECK_THROWS_WITH(RunFile::open(p).attrs(), Contains("attribute 'status' holds 2 values"));
  p = fresh("attr_fixed.h5");
  array_attr_of_strings(p, "name", false);
  CHECK_THROWS_WITH(RunFile::open(p).attrs(), Contains("attribute 'name' holds 2 values"));
  p = fresh("train_2d.h5");
  dataset_2d(p, "/train/loss");
  CHECK_THROWS_WITH(RunFile::open(p).read_columns("train"),
                    Contains(p + ": /train/loss: a column must be a 1-D array of numbers"));
  p = fresh("summary_2d.h5");
  dataset_2d(p, "/variants/summary");
  CHECK_THROWS_WITH(RunFile::open(p).read_summary(),
                    Contains(p + ": /variants/summary: a table must be a 1-D array of rows"));
  CHECK_THROWS_WITH(compare_runs({p}), Contains("/variants/summary"));
  // A text field shorter than the writer's 64 bytes is read within its own width.
  p = fresh("summary_short.h5");
  short_text_summary(p);
  const auto rows = RunFile::open(p).read_summary();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].text.at("name") == "heun");
  CHECK(rows[0].numbers.at("nfe") == 35);
}

TEST_CASE("genlab info on a damaged run file exits 1 with the error, not a crash",
          "[run_file][damaged]") {
  const std::string p = fresh("info_attr.h5");
  array_attr_of_doubles(p, "seed");
  const std::string cmd = std::string(GENLAB_BINARY) + " info " + p + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe);
  std::string out;
  char buf[256];
  while (fgets(buf, sizeof buf, pipe)) out += buf;
  const int status = pclose(pipe);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
  CHECK_THAT(out, Contains("genlab: error: " + p + ": /: attribute 'seed' holds 3 values"));
}

namespace {

// `genlab ARGS`, its exit code and what it printed.
std::pair<int, std::string> genlab_says(const std::string& args) {
  FILE* pipe = popen((std::string(GENLAB_BINARY) + " " + args + " 2>&1").c_str(), "r");
  if (!pipe) return {-1, ""};
  std::string out;
  char buf[256];
  while (fgets(buf, sizeof buf, pipe)) out += buf;
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace

TEST_CASE("a file that is not a run file: every reader says what it is instead", "[run_file][damaged]") {
  const auto dir = std::filesystem::temp_directory_path() / "genlab_tests" / "not_run_files";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& name, const std::string& bytes) {
    const std::string p = (dir / name).string();
    FILE* f = std::fopen(p.c_str(), "wb");
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
    return p;
  };
  // A real run file cut short keeps HDF5's signature.
  const std::string whole = fresh("whole.h5");
  std::string head(2048, '\0');
  {
    FILE* f = std::fopen(whole.c_str(), "rb");
    head.resize(std::fread(head.data(), 1, head.size(), f));
    std::fclose(f);
  }
  const std::string plain = (dir / "plain.h5").string();
  H5Fclose(H5Fcreate(plain.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
  const std::vector<std::pair<std::string, std::string>> cases{
      {write("empty.h5", ""), "it is empty (0 bytes)"},
      {write("config.yaml", "name: x\nseed: 0\n"), "it is a text file (a config?"},
      {write("notes.h5", "just some words\n"), "it is a text file, not HDF5"},
      {write("noise.h5", std::string("\x01\x02\x00\xff\xfe binary", 12)), "it is not an HDF5 file, 12 bytes"},
      {write("cut.h5", head), "it starts as an HDF5 file but HDF5 cannot read it: cut short or damaged"},
      {plain, "an HDF5 file without a stored config (root attribute config_yaml): not a run file that `genlab run` wrote"},
  };
  for (const auto& [path, says] : cases)
    for (const std::string& command : std::vector<std::string>{"info", "compare", "report -o " + (dir / "r.html").string(),
                                      "sample --sampler euler", "run --resume"}) {
      INFO(command << " " << path);
      const auto [code, out] = genlab_says(command + " " + path);
      CHECK(code == 1);
      CHECK_THAT(out, Contains("genlab: error: " + path + ": ") && Contains(says));
      CHECK_FALSE(std::filesystem::exists(dir / "r.html"));
    }
}
