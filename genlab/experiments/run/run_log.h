// The run's log: every line the runner prints also goes, with a timestamp and a level,
// to a log file beside the run file (run.log in the run's folder, else RUN.log for
// RUN.h5), through spdlog. Lines that start with "note:" or "warning:" are warnings; the
// error that fails a run is logged as an error.
//
//   RunLog log(run_path, std::cout);
//   log.stream() << "step 100/2000 ...\n";   // to the console and to the file
//   log.error("step 7: the loss is nan");
#pragma once

#include <memory>
#include <ostream>
#include <string>

namespace spdlog {
class logger;
}

namespace genlab {

class RunLog {
 public:
  // append: keep an earlier log (a resumed run); else start it anew.
  RunLog(const std::string& run_path, std::ostream& console, bool append);
  ~RunLog();
  RunLog(const RunLog&) = delete;
  RunLog& operator=(const RunLog&) = delete;
  std::ostream& stream() { return *stream_; }
  void error(const std::string& message);
  const std::string& path() const { return path_; }

 private:
  class TeeBuffer;
  std::string path_;
  std::shared_ptr<spdlog::logger> logger_;
  std::unique_ptr<TeeBuffer> buffer_;
  std::unique_ptr<std::ostream> stream_;
};

// Where the log of a run file goes: run.log beside a run.h5, else the .h5 replaced by .log.
std::string log_path_for(const std::string& run_path);

}  // namespace genlab
