// Files genlab must not overwrite or delete without a word: a report over a run file or a
// user's file, a run's log over a user's file or another run's log, a user's `latest`,
// runs outside the runs folder; and a bad evaluate.classifier found before training, not
// after it.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "genlab/experiments/experiment_config.h"
#include "genlab/experiments/eval/image_metrics.h"
#include "genlab/experiments/report/report.h"
#include "genlab/experiments/run/run_file.h"
#include "genlab/experiments/cli/runner.h"
#include "tests/experiments/temp_paths.h"

using namespace genlab;
namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

const char* kAnalytic = R"(name: files
data: {name: mixture/eight_gaussians}
model: {family: analytic}
evaluate: {samples: 100, rk45_reference: false}
samplers: [{sampler: euler, steps: 3}]
)";

std::string text_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

fs::path fresh(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / "genlab_tests" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

}  // namespace

TEST_CASE("report: never over a run file given, nor over a file it did not write", "[report][safety]") {
  const fs::path dir = fresh("report_safety");
  const std::string run = (dir / "r.h5").string();
  std::ostringstream log;
  run_experiment(parse_experiment_config(kAnalytic, "f.yaml", {"output.path=" + run}), log);
  const std::string before = text_of(run);
  // -o r.h5, or another name for it (./r.h5): refused, even with --overwrite.
  for (const std::string& out : {run, (dir / "." / "r.h5").string()})
    for (const bool overwrite : {false, true})
      CHECK_THROWS_WITH(write_report({run}, out, overwrite), Contains("is the run file"));
  CHECK(text_of(run) == before);
  // A user's file: refused without --overwrite, replaced with it.
  const std::string notes = (dir / "notes.html").string();
  std::ofstream(notes) << "my notes";
  CHECK_THROWS_WITH(write_report({run}, notes, false), Contains("not a report genlab wrote"));
  CHECK(text_of(notes) == "my notes");
  CHECK(write_report({run}, notes, true) > 0);
  CHECK_THAT(text_of(notes), Contains("<title>genlab report"));
  // Its own earlier report: replaced without a word.
  CHECK(write_report({run}, notes, false) > 0);
  CHECK(!fs::exists(notes + ".writing"));
}

TEST_CASE("a run's log never replaces a user's file or another run's log", "[runner][safety]") {
  const fs::path dir = fresh("log_safety");
  const std::string run = (dir / "x.h5").string(), user_log = (dir / "x.log").string();
  std::ofstream(user_log) << "my lab notes\n";
  std::ostringstream out;
  CHECK_THROWS_WITH(run_experiment(parse_experiment_config(kAnalytic, "f.yaml", {"output.path=" + run}), out),
                    Contains("not a genlab log"));
  CHECK(text_of(user_log) == "my lab notes\n");
  CHECK(!fs::exists(run));
  // output.path x.log: the log would be the run file.
  CHECK_THROWS_WITH(run_experiment(parse_experiment_config(kAnalytic, "f.yaml",
                                                           {"output.path=" + (dir / "y.log").string()}), out),
                    Contains("the run's log would be the run file itself"));
  // Another run's log (a.h5 wrote a.log; a.hdf5 would write a.log too).
  const std::string a = (dir / "a.h5").string();
  run_experiment(parse_experiment_config(kAnalytic, "f.yaml", {"output.path=" + a}), out);
  const std::string a_log = text_of((dir / "a.log").string());
  CHECK_THROWS_WITH(run_experiment(parse_experiment_config(kAnalytic, "f.yaml",
                                                           {"output.path=" + (dir / "a.hdf5").string()}), out),
                    Contains("another run's log"));
  CHECK(text_of((dir / "a.log").string()) == a_log);
  // The run's own log, under --overwrite: replaced.
  RunOptions replace;
  replace.overwrite = true;
  CHECK(run_experiment(parse_experiment_config(kAnalytic, "f.yaml", {"output.path=" + a}), out, replace).status ==
        "completed");
  // An empty file of the log's name (`genlab run ... > e.log` makes it before the run
  // starts) holds nothing to lose: the run writes its log there.
  const std::string e = (dir / "e.h5").string(), e_log = (dir / "e.log").string();
  std::ofstream(e_log).close();
  CHECK(run_experiment(parse_experiment_config(kAnalytic, "f.yaml", {"output.path=" + e}), out).status ==
        "completed");
  CHECK_THAT(text_of(e_log), Contains("-> " + e));
}

TEST_CASE("a user's `latest` stays, and a name cannot leave the runs folder", "[runner][safety]") {
  const fs::path dir = fresh("latest_safety");
  fs::create_directories(dir / "files");
  std::ofstream(dir / "files" / "latest") << "mine";
  std::ostringstream out;
  const auto r = run_experiment(parse_experiment_config(kAnalytic, "f.yaml", {"output.folder=" + dir.string()}), out);
  CHECK(r.status == "completed");
  CHECK(text_of((dir / "files" / "latest").string()) == "mine");
  CHECK_THAT(out.str(), !Contains("latest run of"));  // it does not point at a path that is not there
  // A folder named latest, not genlab's link: left as it is too.
  fs::remove(dir / "files" / "latest");
  fs::create_directories(dir / "files" / "latest" / "keep");
  run_experiment(parse_experiment_config(kAnalytic, "f.yaml", {"output.folder=" + dir.string()}), out);
  CHECK(fs::exists(dir / "files" / "latest" / "keep"));
  for (const char* name : {"..", "."})
    CHECK_THROWS_WITH(parse_experiment_config(kAnalytic, "f.yaml", {std::string("name=") + name}),
                      Contains("must not be '.' or '..'"));
}

TEST_CASE("a bad evaluate.classifier is refused before training, naming the file", "[runner][safety]") {
  const fs::path dir = fresh("classifier_early");
  const std::string run = (dir / "img.h5").string();
  auto attempt = [&](const std::string& classifier) {
    std::ostringstream out;
    try {
      run_experiment(load_experiment_config(std::string(GENLAB_SOURCE_DIR) + "/configs/edm_fmnist.yaml",
                                            {"output.path=" + run, "evaluate.classifier=" + classifier,
                                             "train.steps=100000"}),
                     out);
    } catch (const std::exception& e) {
      CHECK(!fs::exists(run));  // before anything was written, so before any training
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(attempt((dir / "missing.h5").string()), Contains("no such classifier file"));
  const std::string garbage = (dir / "garbage.h5").string();
  std::ofstream(garbage) << "not hdf5";
  CHECK_THAT(attempt(garbage), Contains("garbage.h5"));
  // NaN weights in an otherwise good copy of the committed classifier.
  const std::string nan = (dir / "nan.h5").string();
  fs::copy_file(default_image_classifier_path(), nan);
  {
    RunFile f = RunFile::open(nan);
    auto w = f.read_tensors("weights");
    auto& first = w.begin()->second;
    auto v = first.to_vector();
    v[0] = std::nanf("");
    f.write_tensors("weights", {{w.begin()->first, Tensor::from_vector(v, first.shape())}});
  }
  CHECK_THAT(attempt(nan), Contains("non-finite"));
  CHECK_THAT(attempt(nan), Contains("evaluate.classifier"));
}
