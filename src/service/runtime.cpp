#include "service/runtime.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <thread>

#include <boost/asio/redirect_error.hpp>

namespace rafiki::service {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

Runtime::Runtime(std::size_t threads)
    : io_(static_cast<int>(threads)), lifecycle_(io_.get_executor()), threads_(threads) {}

Runtime::~Runtime() = default;

void Runtime::add_listener(Listener listener) { listeners_.push_back(std::move(listener)); }
std::shared_ptr<net::Router> Runtime::add_http_listener(std::string name, std::string address,
                                                        std::uint16_t port) {
  auto router = std::make_shared<net::Router>();
  add_health_routes(*router);
  add_listener(Listener{std::move(name), std::move(address), port, router, http_limits_});
  return router;
}

void Runtime::add_probe(std::string name, Probe probe) {
  probes_.emplace_back(std::move(name), std::move(probe));
}
void Runtime::on_shutdown(ShutdownHook hook) { hooks_.push_back(std::move(hook)); }
void Runtime::on_startup(std::string name, StartupTask task) {
  startup_.emplace_back(std::move(name), std::move(task));
}

asio::awaitable<std::vector<std::string>> Runtime::failing_probes() {
  std::vector<std::string> failing;
  for (auto& [name, probe] : probes_) {
    asio::steady_timer timer(co_await asio::this_coro::executor, kProbeTimeout);
    auto outcome = co_await (probe() || timer.async_wait(asio::use_awaitable));
    if (outcome.index() == 1) {
      failing.push_back(fmt::format("{}: no answer within {} ms", name, kProbeTimeout.count()));
    } else if (auto& r = std::get<0>(outcome); !r) {
      failing.push_back(fmt::format("{}: {}", name, r.error().message));
    }
  }
  co_return failing;
}

void Runtime::add_health_routes(net::Router& router) {
  router.get("/healthz", [](net::Request&) -> asio::awaitable<net::Response> {
    co_return net::Response::json(200, R"({"status":"ok"})");
  });
  router.get("/readyz", [this](net::Request&) -> asio::awaitable<net::Response> {
    auto failing = co_await failing_probes();
    if (failing.empty()) co_return net::Response::json(200, R"({"status":"ok"})");
    boost::json::object body;
    body["status"] = "unavailable";
    boost::json::array problems;
    for (auto& f : failing) problems.emplace_back(f);
    body["problems"] = std::move(problems);
    co_return net::Response::json(503, boost::json::serialize(body));
  });
}

Result<void> Runtime::bind() {
  std::vector<std::string> errors;
  std::vector<std::unique_ptr<net::HttpServer>> servers;
  for (const auto& l : listeners_) {
    auto router = l.router;
    net::Handler handler = [router](net::Request& r) -> asio::awaitable<net::Response> {
      co_return co_await router->dispatch(r);
    };
    auto server = std::make_unique<net::HttpServer>(io_, l.name, std::move(handler), l.limits);
    auto port = server->listen(l.address, l.port);
    if (!port) {
      errors.push_back(port.error().message);
      continue;
    }
    servers.push_back(std::move(server));
  }
  if (!errors.empty()) return fail("net.listen", fmt::format("{}", fmt::join(errors, "; ")));
  servers_ = std::move(servers);
  return {};
}

std::vector<std::uint16_t> Runtime::ports() const {
  std::vector<std::uint16_t> out;
  for (const auto& s : servers_) out.push_back(s->port());
  return out;
}

asio::awaitable<void> Runtime::shutdown() {
  spdlog::info("shutting down: no new connections; finishing requests in flight");
  // Servers drain concurrently, each bounded by its own shutdown grace.
  auto remaining = std::make_shared<std::atomic<std::size_t>>(servers_.size());
  for (auto& s : servers_) {
    asio::co_spawn(io_, s->shutdown(), [remaining](std::exception_ptr) { remaining->fetch_sub(1); });
  }
  asio::steady_timer poll(co_await asio::this_coro::executor);
  while (remaining->load() > 0) {
    poll.expires_after(kShutdownPollPeriod);
    co_await poll.async_wait(asio::use_awaitable);
  }
  for (auto& hook : hooks_) co_await hook();
  spdlog::info("stopped");
  io_.stop();
}

void Runtime::stop() {
  if (stopping_.exchange(true)) return;
  asio::co_spawn(lifecycle_, shutdown(), asio::detached);
}

asio::awaitable<void> Runtime::boot() {
  for (auto& [name, task] : startup_) {
    if (stopping_.load()) co_return;
    auto r = co_await task();
    if (!r) {
      spdlog::critical("cannot start: {}: {}", name, r.error().message);
      exit_code_.store(1);
      stop();
      co_return;
    }
  }
  if (stopping_.load()) co_return;
  if (auto bound = bind(); !bound) {
    spdlog::critical("cannot start: {}", bound.error().message);
    exit_code_.store(1);
    stop();
    co_return;
  }
  for (auto& s : servers_) s->start();
  for (std::size_t i = 0; i < listeners_.size() && i < servers_.size(); ++i)
    spdlog::info("{} listening on http://{}:{}", listeners_[i].name, listeners_[i].address,
                 servers_[i]->port());
}

int Runtime::run() {
  asio::signal_set signals(io_, SIGINT, SIGTERM);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int sig) {
        if (ec) return;
        if (stopping_.load()) {
          spdlog::warn("second signal ({}): stopping now", sig);
          io_.stop();
          return;
        }
        spdlog::info("received signal {}", sig);
        stop();
        signals.async_wait(on_signal);
      };
  signals.async_wait(on_signal);
  asio::co_spawn(lifecycle_, boot(), asio::detached);
  std::vector<std::thread> pool;
  for (std::size_t i = 1; i < threads_; ++i) pool.emplace_back([this] { io_.run(); });
  io_.run();
  for (auto& t : pool) t.join();
  return exit_code_.load();
}

}  // namespace rafiki::service
