#include "genlab/experiments/run/run_log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <filesystem>
#include <streambuf>

namespace genlab {

// Passes everything to the console and each complete line to the logger; a line that a
// terminal progress display rewrites ('\r') is logged as it stands when its '\n' comes.
class RunLog::TeeBuffer : public std::streambuf {
 public:
  TeeBuffer(std::ostream& console, spdlog::logger& logger) : console_(console), logger_(logger) {}
  ~TeeBuffer() override { flush_line(); }

 protected:
  int overflow(int ch) override {
    if (ch == traits_type::eof()) return 0;
    console_.put(static_cast<char>(ch));
    if (ch == '\n')
      flush_line();
    else if (ch == '\r')
      line_.clear();
    else
      line_ += static_cast<char>(ch);
    return ch;
  }
  int sync() override {
    console_.flush();
    return 0;
  }

 private:
  void flush_line() {
    if (line_.empty()) return;
    if (line_.rfind("note:", 0) == 0 || line_.rfind("warning:", 0) == 0 ||
        line_.rfind("taking over", 0) == 0 || line_.rfind("dropping", 0) == 0)
      logger_.warn(line_);
    else
      logger_.info(line_);
    line_.clear();
  }
  std::ostream& console_;
  spdlog::logger& logger_;
  std::string line_;
};

std::string log_path_for(const std::string& run_path) {
  const std::filesystem::path p(run_path);
  if (p.filename() == "run.h5") return (p.parent_path() / "run.log").string();
  std::filesystem::path log = p;
  log.replace_extension(".log");
  return log.string();
}

RunLog::RunLog(const std::string& run_path, std::ostream& console, bool append)
    : path_(log_path_for(run_path)) {
  static std::atomic<int> count{0};  // spdlog loggers need distinct names
  auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path_, /*truncate=*/!append);
  logger_ = std::make_shared<spdlog::logger>("genlab-run-" + std::to_string(count++), sink);
  logger_->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");
  logger_->set_level(spdlog::level::info);
  logger_->flush_on(spdlog::level::info);
  buffer_ = std::make_unique<TeeBuffer>(console, *logger_);
  stream_ = std::make_unique<std::ostream>(buffer_.get());
}

RunLog::~RunLog() {
  stream_->flush();
  stream_.reset();
  buffer_.reset();
  logger_->flush();
}

void RunLog::error(const std::string& message) {
  logger_->error(message);
}

}  // namespace genlab
