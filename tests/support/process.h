// A child process for end-to-end tests of the `rafiki` binary: started with its own
// environment, its stderr read line by line, signalled and waited for with bounds.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace rafiki::testing {

class ChildProcess {
 public:
  // Starts `argv` with exactly `env` as its environment (plus PATH). stderr is captured
  // (output()); stdout too when `capture_stdout`, else it goes to /dev/null.
  ChildProcess(std::vector<std::string> argv, std::map<std::string, std::string> env,
               bool capture_stdout = false);
  ~ChildProcess();  // kills the child if it still runs
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Reads stderr until a line matches; returns the match or nullopt on timeout / exit.
  std::optional<std::smatch> wait_for_line(const std::regex& pattern, std::chrono::milliseconds timeout);
  // Everything read from stderr so far.
  const std::string& output() const { return output_; }
  void signal(int sig);
  // Waits for exit; returns the exit code (128+signal when killed) or nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  pid_t pid() const { return pid_; }

 private:
  bool read_some(std::chrono::milliseconds timeout);
  pid_t pid_ = -1;
  int stderr_fd_ = -1;
  std::string output_;
  std::size_t scanned_ = 0;
  std::string line_;
  std::optional<int> exit_code_;
};

}  // namespace rafiki::testing
