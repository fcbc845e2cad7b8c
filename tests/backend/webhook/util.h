// Helpers shared by the webhook domain's tests: an HTTP sink on loopback that records what it is
// sent, a migrated database of one's own, a service with test settings, and worker loops run until
// deliveries settle.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "backend/webhook/service.h"
#include "backend/webhook/store.h"
#include "net/server.h"
#include "service/migrations.h"
#include "store/async_util.h"
#include "support/test_env.h"

namespace rafiki::backend::test::webhook_test {

using namespace rafiki::backend::webhook;
using rafiki::testing::join_all;
using rafiki::testing::sleep_ms;
using rafiki::testing::TestDatabase;
namespace asio = boost::asio;
using asio::awaitable;
using std::chrono::milliseconds;

// A test waiting for deliveries gives up (and fails) after this long.
inline constexpr milliseconds kWaitBound{15'000};
inline constexpr milliseconds kPoll{5};

inline const Uuid kOperator = *Uuid::parse("11111111-1111-4111-8111-111111111111");
inline const Uuid kTenantA = *Uuid::parse("aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa");
inline const Uuid kTenantB = *Uuid::parse("bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb");

// What the sink does and what it saw.
struct Sink {
  struct Received {
    std::string body;
    std::optional<std::string> signature;
    std::optional<std::string> content_type;
  };
  std::mutex mutex;
  std::vector<Received> received;
  int fail_first = 0;  // answer fail_status to the first N requests
  bool always_fail = false;
  int fail_status = 500;
  int delay_ms = 0;                      // before answering
  std::map<std::string, int> in_flight;  // per event id
  bool overlapped = false;               // an event was being delivered twice at once

  std::size_t count() {
    std::lock_guard lock(mutex);
    return received.size();
  }
};

inline awaitable<net::Response> serve(std::shared_ptr<Sink> sink, net::Request& request) {
  std::string id;
  {
    boost::system::error_code ec;
    auto body = boost::json::parse(request.body, ec);
    if (!ec && body.is_object() && body.as_object().contains("id") &&
        body.as_object().at("id").is_string()) {
      id = std::string(body.as_object().at("id").as_string());
    }
  }
  int status = 200;
  {
    std::lock_guard lock(sink->mutex);
    Sink::Received r;
    r.body = request.body;
    if (auto v = request.headers.get("Rafiki-Signature")) r.signature = std::string(*v);
    if (auto v = request.headers.get("Content-Type")) r.content_type = std::string(*v);
    sink->received.push_back(std::move(r));
    if (++sink->in_flight[id] > 1) sink->overlapped = true;
    if (sink->always_fail || static_cast<int>(sink->received.size()) <= sink->fail_first) {
      status = sink->fail_status;
    }
  }
  if (sink->delay_ms > 0) co_await sleep_ms(sink->delay_ms);
  {
    std::lock_guard lock(sink->mutex);
    --sink->in_flight[id];
  }
  co_return net::Response::json(status, "{}");
}

// The sink's HTTP server on 127.0.0.1, port 0.
struct SinkServer {
  SinkServer(asio::io_context& io, std::shared_ptr<Sink> s) : sink(std::move(s)) {
    net::ServerLimits limits;
    limits.shutdown_grace = milliseconds(50);
    auto state = sink;
    server = std::make_unique<net::HttpServer>(
        io, "webhook sink", [state](net::Request& r) { return serve(state, r); }, limits);
    auto port = server->listen("127.0.0.1", 0);
    if (!port) throw std::runtime_error(port.error().message);
    url = "http://127.0.0.1:" + std::to_string(*port) + "/webhooks";
    server->start();
  }
  std::shared_ptr<Sink> sink;
  std::unique_ptr<net::HttpServer> server;
  std::string url;
};

// Runs body(io) on a fresh io_context served by `threads` threads until it finishes.
template <class F>
inline void run_test(F body, int threads = 1) {
  asio::io_context io(threads);
  std::exception_ptr failure;
  asio::co_spawn(io, body(io), [&](std::exception_ptr e) {
    failure = e;
    io.stop();
  });
  std::vector<std::thread> helpers;
  for (int i = 1; i < threads; ++i) helpers.emplace_back([&] { io.run(); });
  io.run();
  for (auto& t : helpers) t.join();
  if (failure) std::rethrow_exception(failure);
}

inline awaitable<store::PgPool> open_db(const std::string& url, int max_connections = 8) {
  store::PgConfig config;
  config.url = url;
  config.max_connections = max_connections;
  auto pool = store::PgPool::create(co_await asio::this_coro::executor, std::move(config));
  if (!pool) throw std::runtime_error(pool.error().message);
  auto migrated = co_await service::migrate(*pool, service::Database::kBackend);
  if (!migrated) throw std::runtime_error("migrate: " + migrated.error().message);
  co_return std::move(*pool);
}

// Literal arguments inside co_await expressions trip g++ 12 ("array used as initializer").
inline const std::string kNoSinkUrl = "http://127.0.0.1:1/";  // never delivered to in the test
inline const std::string kClosedPortUrl = "http://127.0.0.1:1/webhooks";
inline constexpr std::string_view kEmptyType = "";

inline WebhookSettings test_settings(std::string url) {
  WebhookSettings s;
  s.operator_tenant_id = kOperator;
  s.webhook_url = std::move(url);
  s.timeout = milliseconds(2'000);
  s.max_attempts = 10;
  s.idle = milliseconds(2);
  s.workers = 1;
  s.retry_base_delay = milliseconds(1);
  return s;
}

// A service on `pg` with `settings`; recipients' settings and secrets come from `tenants`.
inline awaitable<std::unique_ptr<WebhookService>> make_service(WebhookSettings settings,
                                                               store::PgPool pg,
                                                               TenantLookups tenants = {}) {
  auto ex = co_await asio::this_coro::executor;
  co_return std::make_unique<WebhookService>(std::move(settings), WebhookStore(std::move(pg)),
                                             net::HttpClient(ex), std::move(tenants));
}

// What a failed Outcome of the service says, for a test's message.
inline std::string failure_text(const Failure<WebhookError>& failure) {
  if (failure.is_domain()) return std::string(describe(failure.domain()).name);
  return failure.infrastructure().code + ": " + failure.infrastructure().message;
}

inline NewEvent event(std::string_view type, Uuid tenant, boost::json::object data = {}) {
  NewEvent e;
  e.type = std::string(type);
  e.tenant_id = tenant;
  if (data.empty()) data["id"] = Uuid::v4().str();
  e.data = std::move(data);
  return e;
}

inline awaitable<Delivery> only_delivery(WebhookService& service, Uuid event_id) {
  auto ds = co_await service.deliveries(event_id);
  if (!ds || ds->size() != 1) throw std::runtime_error("expected exactly one delivery");
  co_return ds->front();
}

template <class T>
inline std::vector<T> just(T value) {
  return std::vector<T>{value};
}

// Runs `loops` worker loops of each service until every delivery of `events` has left the
// pending state (or kWaitBound passes), then stops them.
inline awaitable<bool> run_workers_until_settled(std::vector<WebhookService*> services, int loops,
                                                 std::vector<Uuid> events) {
  auto settled = std::make_shared<bool>(false);
  std::vector<awaitable<void>> tasks;
  for (auto* s : services) {
    for (int i = 0; i < loops; ++i) tasks.push_back(s->run());
  }
  auto controller = [](std::vector<WebhookService*> services, std::vector<Uuid> events,
                       std::shared_ptr<bool> settled) -> awaitable<void> {
    auto deadline = std::chrono::steady_clock::now() + kWaitBound;
    while (std::chrono::steady_clock::now() < deadline) {
      bool all = true;
      for (const auto& id : events) {
        auto ds = co_await services.front()->deliveries(id);
        if (!ds) throw std::runtime_error(ds.error().message);
        for (const auto& d : *ds) all = all && d.status != DeliveryStatus::kPending;
        if (!all) break;
      }
      if (all) {
        *settled = true;
        break;
      }
      co_await sleep_ms(static_cast<int>(kPoll.count()));
    }
    for (auto* s : services) s->stop();
  };
  tasks.push_back(controller(services, std::move(events), settled));
  co_await join_all(std::move(tasks));
  co_return *settled;
}

}  // namespace rafiki::backend::test::webhook_test
