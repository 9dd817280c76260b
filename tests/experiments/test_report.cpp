// genlab report: a real run rendered into one self-contained page that holds every
// variant (table, samples, error-against-NFE line), the training curve and the config;
// several runs side by side; the PNG and base64 encoders against known bytes; and bad
// input named.

#include <png.h>
#include <catch2/catch.hpp>
#include <fstream>
#include <regex>
#include <sstream>

#include "genlab/experiments/experiment_config.h"
#include "genlab/experiments/report/png.h"
#include "genlab/experiments/report/report.h"
#include "genlab/experiments/report/svg_chart.h"
#include "genlab/experiments/run/run_file.h"
#include "genlab/experiments/cli/runner.h"
#include "tests/experiments/temp_paths.h"

using namespace genlab;
using Catch::Matchers::Contains;
using genlab::testing::temp_path;

namespace {

const char* kRun = R"(name: report_tiny
data: {name: moons}
model: {family: diffusion, process: edm, net: {width: 32, depth: 2, embedding_dim: 16}}
train: {steps: 40, batch_size: 64, log_every: 10, eval_every: 20}
evaluate: {samples: 300, eval_steps: 5}
samplers:
  - {sampler: heun, steps: 6}
  - {sampler: heun, steps: 12}
  - {sampler: unipc, steps: 8, options: {order: 3}}
  - {sampler: dpmpp_2m_sde, steps: 10, noise: brownian_tree, options: {solver_type: heun}}
  - {sampler: restart, steps: 8}
)";

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t i = text.find(what); i != std::string::npos; i = text.find(what, i + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("report: a real run on one self-contained page with every variant", "[report]") {
  const std::string path = temp_path("report_tiny.h5");
  std::ostringstream log;
  REQUIRE(run_experiment(parse_experiment_config(kRun, "r.yaml", {"output.path=" + path}), log).status ==
          "completed");
  const std::string html = render_report({path});
  const std::vector<std::string> variants{"heun-6", "heun-12", "unipc-8", "dpmpp_2m_sde-10", "restart-8"};
  for (const auto& v : variants) {
    INFO(v);
    CHECK(count(html, "<td class=\"text\">" + v + "</td>") == 1);  // the variants table
    CHECK_THAT(html, Contains("<text x=\"110\" y=\"13\" text-anchor=\"middle\">" + v + "</text>"));  // its samples
  }
  // Error against NFE: heun's two step counts form one line; the stochastic variants are
  // left out of the rk45-distance chart (they do not follow the ODE) but not the other.
  CHECK(count(html, "data-label=\"heun\"") == 2);
  CHECK(count(html, "data-label=\"dpmpp_2m_sde\"") == 1);
  CHECK(count(html, "data-label=\"restart\"") == 1);
  CHECK_THAT(html, Contains("RMS distance to the rk45 solution"));
  CHECK_THAT(html, Contains("sliced Wasserstein to data"));
  // The training curve and the resolved config (named options by name).
  CHECK_THAT(html, Contains("report_tiny: training loss"));
  CHECK_THAT(html, Contains("solver_type: heun"));
  CHECK_THAT(html, Contains("noise: brownian_tree"));
  // Self-contained: no scripts, nothing fetched (the SVG namespace is a name, not a fetch).
  CHECK(html.find("<script") == std::string::npos);
  CHECK(!std::regex_search(html, std::regex("(src|href)=\"(https?:)?//")));
  CHECK(html.rfind("</html>") != std::string::npos);
  // Two runs: one chart per run in the overview, each run's section.
  const std::string other = temp_path("report_tiny_flow.h5");
  REQUIRE(run_experiment(parse_experiment_config(kRun, "r.yaml",
                                                 {"output.path=" + other, "name=report_flow", "model.process=flow"}),
                         log)
              .status == "completed");
  const std::string both = render_report({path, other});
  // One chart per metric overlays both runs, its title naming them and what they differ in.
  CHECK_THAT(both, Contains("sliced Wasserstein to data: report_flow, report_tiny (model.process edm, flow"));
  CHECK(count(both, "sliced Wasserstein to data: report_flow") == 1);
  CHECK(both.find("; name report_") == std::string::npos);  // the names are in the title once
  CHECK(count(both, "<h2>report_") == 2);
  // Bad input is named.
  CHECK_THROWS_WITH(render_report({path + ".missing"}), Contains(path + ".missing"));
  CHECK_THROWS_WITH(render_report({}), Contains("no run files"));
}

TEST_CASE("report: PNG and base64 encoders against known bytes and a decoder", "[report]") {
  CHECK(base64("Man") == "TWFu");
  CHECK(base64("Ma") == "TWE=");
  CHECK(base64("M") == "TQ==");
  CHECK(base64("") == "");
  const std::vector<uint8_t> px{0, 64, 128, 255, 1, 2};
  const std::string png = encode_png_gray(px, 2, 3);
  REQUIRE(png.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
  CHECK(png.substr(12, 4) == "IHDR");
  // IHDR: width 3, height 2, 8-bit grayscale.
  CHECK(png.substr(16, 8) == std::string("\0\0\0\x03\0\0\0\x02", 8));
  CHECK(png[24] == 8);
  CHECK(png[25] == 0);
  // Decoded by libpng's reader, the same pixels.
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  REQUIRE(png_image_begin_read_from_memory(&image, png.data(), png.size()));
  CHECK(image.width == 3);
  CHECK(image.height == 2);
  image.format = PNG_FORMAT_GRAY;
  std::vector<uint8_t> back(PNG_IMAGE_SIZE(image));
  REQUIRE(png_image_finish_read(&image, nullptr, back.data(), 0, nullptr));
  CHECK(back == px);
  CHECK(png.substr(png.size() - 8, 4) == "IEND");
  CHECK_THROWS(encode_png_gray(px, 2, 2));
}

TEST_CASE("report: chart ticks and escaping", "[report]") {
  CHECK(html_escape("a<b & \"c\">") == "a&lt;b &amp; &quot;c&quot;&gt;");
  // A short log range gets intermediate ticks; a long one decades only.
  const std::string narrow = line_chart_svg({{"s", {10, 20}, {0.084, 0.099}}}, {.title = "t"});
  CHECK_THAT(narrow, Contains(">0.09<"));
  const std::string wide = line_chart_svg({{"s", {10, 1000}, {1e-5, 1}}}, {.title = "t"});
  CHECK_THAT(wide, Contains(">0.001<"));  // plain numbers, not 1e-03
  CHECK_THAT(wide, Contains(">1e-05<"));  // beyond four decimals: exponent form
  CHECK(wide.find(">0.002<") == std::string::npos);
  // Points a log axis cannot show (<= 0, NaN) are skipped, not drawn at infinity.
  const std::string skip = line_chart_svg({{"s", {10, 20, 30}, {0.1, -1, std::nan("")}}}, {.title = "t"});
  CHECK(skip.find("inf") == std::string::npos);
  CHECK(skip.find("nan") == std::string::npos);
}
