// The key reference: configs/README.md holds exactly what `genlab config --reference`
// prints (one declaration per section feeds both), and every key the reference lists is
// one the reader accepts.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "genlab/experiments/cli/catalog.h"
#include "genlab/experiments/experiment_config.h"
#include "genlab/experiments/config/yaml_section.h"

using namespace genlab;

TEST_CASE("configs/README.md's key reference is the generated one", "[config][reference]") {
  std::ifstream in(std::string(GENLAB_SOURCE_DIR) + "/configs/README.md");
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str(), begin = "<!-- reference:begin -->\n",
                    end = "<!-- reference:end -->";
  const auto b = text.find(begin), e = text.find(end);
  REQUIRE(b != std::string::npos);
  REQUIRE(e != std::string::npos);
  const std::string in_readme = text.substr(b + begin.size(), e - b - begin.size());
  std::string generated = config_reference();
  while (!generated.empty() && generated.back() == '\n') generated.pop_back();
  INFO("regenerate with: bash configs/update_reference.sh");
  CHECK(in_readme == generated + "\n");
}

TEST_CASE("the reference lists sections, families, data sets and samplers", "[config][reference]") {
  const std::string all = config_reference();
  for (const char* s : {"| `train.epochs` |", "### model (family: vae)", "| `model.estimator` |",
                        "### data (name: mixture)", "| `data.covariances` |", "| `rk45` |",
                        "| `samplers[].final_step` |", "| `model.net.width` |"})
    CHECK_THAT(all, Catch::Matchers::Contains(s));
  CHECK_THAT(config_reference("train"), !Catch::Matchers::Contains("model.family"));
  CHECK_THROWS_WITH(config_reference("nonsense"), Catch::Matchers::Contains("no section"));
}

TEST_CASE("genlab list: samplers, grids, data sets and families with their options",
          "[config][reference]") {
  // Each row's default steps, order and NFE formula (from the registry's counts).
  const std::string samplers = list_catalog("samplers");
  CHECK_THAT(samplers, Catch::Matchers::Contains("rk45                    adapt  5      adaptive       rtol=1e-05, atol=1e-05"));
  CHECK_THAT(samplers, Catch::Matchers::Contains("edm_stochastic          64     sde    2N-1           S_churn=40"));
  CHECK_THAT(samplers, Catch::Matchers::Contains("heun                    18     2      2N-1"));
  CHECK_THAT(samplers, Catch::Matchers::Contains("rk4                     10     4      4N-3"));
  CHECK_THAT(samplers, Catch::Matchers::Contains("dpmpp_3m                25     3      N "));
  CHECK_THAT(samplers, Catch::Matchers::Contains("restart                 18     sde    2N+19"));
  CHECK_THAT(list_catalog("grids"), Catch::Matchers::Contains("order caps (a sampler's order on the grid is at most "
                                                              "this, in the usual step counts): vp 1; flow 1.5;"));
  CHECK_THAT(list_catalog("samplers"),
             Catch::Matchers::Contains("solver_type=midpoint (midpoint | heun); takes noise: brownian_tree"));
  CHECK_THAT(list_catalog("grids"), Catch::Matchers::Contains("flow -> flow;"));
  CHECK_THAT(list_catalog("datasets"), Catch::Matchers::Contains("mixture/random: "));
  CHECK_THAT(list_catalog("datasets"), Catch::Matchers::Contains("components (8)"));
  CHECK_THAT(list_catalog("families"), Catch::Matchers::Contains("net.width (256)"));
  CHECK_THROWS_WITH(list_catalog("solvers"), Catch::Matchers::Contains("samplers, grids"));
  // An adaptive sampler is not named after a step count it does not take.
  const ExperimentConfig c =
      parse_experiment_config("samplers: [{sampler: rk45}, {sampler: heun}]\n", "s.yaml");
  CHECK(c.samplers[0].name == "rk45");
  CHECK(c.samplers[1].name == "heun-18");
}
