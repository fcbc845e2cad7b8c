#include "support/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace rafiki::testing {

ChildProcess::ChildProcess(std::vector<std::string> argv, std::map<std::string, std::string> env,
                           bool capture_stdout) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
  if (const char* path = std::getenv("PATH"); path && !env.contains("PATH")) env["PATH"] = path;
  std::vector<std::string> env_strings;
  for (auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> cargv, cenv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  for (auto& e : env_strings) cenv.push_back(e.data());
  cenv.push_back(nullptr);
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    dup2(fds[1], STDERR_FILENO);
    if (capture_stdout) {
      dup2(fds[1], STDOUT_FILENO);
    } else {
      int devnull = open("/dev/null", O_WRONLY);
      dup2(devnull, STDOUT_FILENO);
    }
    close(fds[0]);
    close(fds[1]);
    execve(cargv[0], cargv.data(), cenv.data());
    _exit(127);
  }
  close(fds[1]);
  stderr_fd_ = fds[0];
}

ChildProcess::~ChildProcess() {
  if (!exit_code_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (stderr_fd_ >= 0) close(stderr_fd_);
}

bool ChildProcess::read_some(std::chrono::milliseconds timeout) {
  pollfd p{stderr_fd_, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
  char buf[4096];
  ssize_t n = read(stderr_fd_, buf, sizeof buf);
  if (n <= 0) return false;
  output_.append(buf, static_cast<std::size_t>(n));
  return true;
}

std::optional<std::smatch> ChildProcess::wait_for_line(const std::regex& pattern,
                                                        std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    // Scan complete lines not scanned yet.
    while (true) {
      auto nl = output_.find('\n', scanned_);
      if (nl == std::string::npos) break;
      line_ = output_.substr(scanned_, nl - scanned_);
      scanned_ = nl + 1;
      std::smatch m;
      if (std::regex_search(line_, m, pattern)) return m;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    if (!read_some(left)) {
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      // EOF: the child closed stderr (exited).
      pollfd p{stderr_fd_, POLLIN, 0};
      if (poll(&p, 1, 0) > 0 && (p.revents & POLLHUP) && !(p.revents & POLLIN)) return std::nullopt;
    }
  }
}

void ChildProcess::signal(int sig) {
  if (pid_ > 0 && !exit_code_) kill(pid_, sig);
}

std::optional<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
  if (exit_code_) return exit_code_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      while (read_some(std::chrono::milliseconds(0))) {
      }
      return exit_code_;
    }
    // Keep draining stderr so the child never blocks on a full pipe.
    read_some(std::chrono::milliseconds(10));
  }
  return std::nullopt;
}

}  // namespace rafiki::testing
