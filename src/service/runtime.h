// The process around a service: one io_context run by N threads, the HTTP listeners a service
// declares, readiness probes, and the life cycle — bind everything (reporting every failure),
// serve, and on SIGINT/SIGTERM stop accepting, let in-flight requests finish within a bound,
// run shutdown hooks, and return exit code 0.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/errors.h"
#include "net/router.h"
#include "net/server.h"

namespace rafiki::service {

// A readiness check (a database or Redis answering). Fails with a message naming the problem.
using Probe = std::function<boost::asio::awaitable<Result<void>>()>;
using ShutdownHook = std::function<boost::asio::awaitable<void>()>;
// Work that must succeed before the listeners open (database migrations). A failure stops the
// process with exit code 1.
using StartupTask = std::function<boost::asio::awaitable<Result<void>>()>;

struct Listener {
  std::string name;     // "backend admin", used in logs
  std::string address;  // bind address, e.g. "0.0.0.0" or "127.0.0.1"
  std::uint16_t port = 0;
  std::shared_ptr<net::Router> router;
  net::ServerLimits limits;
};

class Runtime {
 public:
  // How long readiness probes may take before /readyz answers 503.
  static constexpr std::chrono::milliseconds kProbeTimeout{2'000};
  // How often shutdown checks whether every listener has drained.
  static constexpr std::chrono::milliseconds kShutdownPollPeriod{10};

  explicit Runtime(std::size_t threads);
  ~Runtime();

  boost::asio::io_context& io() { return io_; }
  std::size_t threads() const { return threads_; }

  void add_listener(Listener listener);
  // The limits add_http_listener gives its listeners (the operator's, service/http_limits.h);
  // set before the services install. Default: net::ServerLimits{}.
  void set_http_limits(net::ServerLimits limits) { http_limits_ = limits; }
  // Adds a listener with the http limits whose router already answers /healthz and /readyz;
  // returns the router for the service's own routes.
  std::shared_ptr<net::Router> add_http_listener(std::string name, std::string address,
                                                 std::uint16_t port);
  void add_probe(std::string name, Probe probe);
  void on_shutdown(ShutdownHook hook);
  void on_startup(std::string name, StartupTask task);

  // Adds GET /healthz (200 while the process serves) and GET /readyz (200 when every probe
  // answers, else 503 naming the failing ones) to `router`.
  void add_health_routes(net::Router& router);

  // Runs the startup tasks in order, binds every listener (reporting every bind failure in one
  // message), serves until SIGINT/SIGTERM (or stop()), then shuts down gracefully. Returns the
  // exit code: 0 after a graceful stop, 1 when a startup task or a bind failed.
  int run();
  // Starts a graceful shutdown from any thread.
  void stop();

  // Bound ports in listener order (once serving).
  std::vector<std::uint16_t> ports() const;
  const std::vector<Listener>& listeners() const { return listeners_; }

 private:
  Result<void> bind();
  boost::asio::awaitable<void> boot();
  boost::asio::awaitable<void> shutdown();
  boost::asio::awaitable<std::vector<std::string>> failing_probes();

  boost::asio::io_context io_;
  // Boot and shutdown run on this strand, so they never touch servers_ at the same time.
  boost::asio::strand<boost::asio::io_context::executor_type> lifecycle_;
  std::size_t threads_;
  std::vector<Listener> listeners_;
  net::ServerLimits http_limits_;
  std::vector<std::unique_ptr<net::HttpServer>> servers_;
  std::vector<std::pair<std::string, Probe>> probes_;
  std::vector<ShutdownHook> hooks_;
  std::vector<std::pair<std::string, StartupTask>> startup_;
  std::atomic<int> exit_code_{0};
  std::atomic<bool> stopping_{false};
};

}  // namespace rafiki::service
