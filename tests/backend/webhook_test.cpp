// Webhook events against a real PostgreSQL and a real HTTP sink on loopback: what is stored and
// for whom, what is POSTed and how it is signed, retries with back-off, giving up, timeouts,
// several workers at once, leases that outlive a crashed worker, transactions, and the Admin
// API's listing (filters, tenancy, Relay pages both ways).
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

#include "backend/admin/canonical_json.h"
#include "backend/admin/signature.h"
#include "backend/webhook/service.h"
#include "backend/webhook/store.h"
#include "net/server.h"
#include "service/migrations.h"
#include "store/async_util.h"
#include "support/test_env.h"

using namespace rafiki;
using namespace rafiki::backend::webhook;
using rafiki::testing::join_all;
using rafiki::testing::sleep_ms;
using rafiki::testing::TestDatabase;
namespace asio = boost::asio;
using asio::awaitable;
using std::chrono::milliseconds;

namespace {

// A test waiting for deliveries gives up (and fails) after this long.
constexpr milliseconds kWaitBound{15'000};
constexpr milliseconds kPoll{5};

const Uuid kOperator = *Uuid::parse("11111111-1111-4111-8111-111111111111");
const Uuid kTenantA = *Uuid::parse("aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa");
const Uuid kTenantB = *Uuid::parse("bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb");

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

awaitable<net::Response> serve(std::shared_ptr<Sink> sink, net::Request& request) {
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
void run_test(F body, int threads = 1) {
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

awaitable<store::PgPool> open_db(const std::string& url, int max_connections = 8) {
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
const std::string kNoSinkUrl = "http://127.0.0.1:1/";  // never delivered to in the test
const std::string kClosedPortUrl = "http://127.0.0.1:1/webhooks";
constexpr std::string_view kEmptyType = "";

WebhookSettings test_settings(std::string url) {
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

awaitable<std::unique_ptr<WebhookService>> make_service(WebhookSettings settings,
                                                        store::PgPool pg) {
  auto ex = co_await asio::this_coro::executor;
  co_return std::make_unique<WebhookService>(std::move(settings), std::move(pg),
                                             net::HttpClient(ex));
}

NewEvent event(std::string_view type, Uuid tenant, boost::json::object data = {}) {
  NewEvent e;
  e.type = std::string(type);
  e.tenant_id = tenant;
  if (data.empty()) data["id"] = Uuid::v4().str();
  e.data = std::move(data);
  return e;
}

awaitable<Delivery> only_delivery(WebhookService& service, Uuid event_id) {
  auto ds = co_await service.deliveries(event_id);
  if (!ds || ds->size() != 1) throw std::runtime_error("expected exactly one delivery");
  co_return ds->front();
}

template <class T>
std::vector<T> just(T value) {
  return std::vector<T>{value};
}

// Runs `loops` worker loops of each service until every delivery of `events` has left the
// pending state (or kWaitBound passes), then stops them.
awaitable<bool> run_workers_until_settled(std::vector<WebhookService*> services, int loops,
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

}  // namespace

TEST(WebhookSignature, MatchesTheReferenceVector) {
  // reference/payments.md §6.4, computed with json-canonicalize.
  std::string body =
      R"({"id":"9b6a2f4e-3d6c-4a7c-9a0e-0c8c7e2f4a11","type":"incoming_payment.completed",)"
      R"("data":{"receivedAmount":{"value":"1000","assetScale":2,"assetCode":"USD"},)"
      R"("id":"b2c4d6e8-0000-4000-8000-000000000001","completed":true}})";
  auto header = sign_delivery("mysecret", 1, 1700000000000, body);
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(*header,
            "t=1700000000000, v1=18bfc3f0af3056310adfb7d307c9d0418ce53d313d98daacb7f9fda86cfc04c5");
  EXPECT_FALSE(sign_delivery("mysecret", 1, 1, "{not json").has_value());
}

TEST(WebhookDelivery, PostsTheEventWithAVerifiableSignatureOnce) {
  TestDatabase db;
  run_test([&](asio::io_context& io) -> awaitable<void> {
    SinkServer sink(io, std::make_shared<Sink>());
    auto settings = test_settings(sink.url);
    settings.signature_secret = "webhook-secret";
    settings.signature_version = 3;
    auto service = co_await make_service(settings, co_await open_db(db.url()));

    boost::json::object data;
    data["id"] = "b2c4d6e8-0000-4000-8000-000000000001";
    data["receivedAmount"] =
        boost::json::object{{"value", "1000"}, {"assetCode", "USD"}, {"assetScale", 2}};
    data["completed"] = true;
    data["note"] = "caf\xc3\xa9 \"quoted\"";
    NewEvent e = event(event_type::kIncomingPaymentCompleted, kTenantA, data);
    Withdrawal w;
    w.account_id = Uuid::v4();
    w.asset_id = Uuid::v4();
    w.amount = static_cast<money::u128>(1) << 100;
    e.withdrawal = w;
    auto id = co_await service->emit(std::move(e));
    CO_ASSERT_OK(id);

    auto processed = co_await service->process_due();
    CO_ASSERT_OK(processed);
    EXPECT_EQ(*processed, 1);
    CO_ASSERT(sink.sink->count() == 1);
    Sink::Received got = sink.sink->received.front();
    EXPECT_EQ(got.content_type.value_or(""), "application/json");

    auto body = boost::json::parse(got.body).as_object();
    EXPECT_EQ(body.size(), 3u);
    EXPECT_EQ(body.at("id").as_string(), id->str());
    EXPECT_EQ(body.at("type").as_string(), "incoming_payment.completed");
    EXPECT_EQ(body.at("data").as_object(), data);

    // t=<ms>, v3=<hex HMAC-SHA256 of "<t>.<canonical body>">
    CO_ASSERT(got.signature.has_value());
    auto parsed = backend::admin::parse_signature_header(*got.signature);
    CO_ASSERT_OK(parsed);
    EXPECT_EQ(parsed->version, 3u);
    EXPECT_LE(std::abs(parsed->timestamp_ms - now_ms().time_since_epoch().count()), 60'000);
    auto canonical = backend::admin::canonicalize_json(got.body);
    CO_ASSERT_OK(canonical);
    EXPECT_EQ(parsed->digest,
              backend::admin::signature_digest("webhook-secret", parsed->timestamp_ms, *canonical));
    EXPECT_NE(parsed->digest,
              backend::admin::signature_digest("other-secret", parsed->timestamp_ms, *canonical));

    Delivery d = co_await only_delivery(*service, *id);
    EXPECT_EQ(d.status, DeliveryStatus::kDelivered);
    EXPECT_EQ(d.attempts, 1);
    EXPECT_EQ(d.last_status_code, 200);
    EXPECT_FALSE(d.process_at.has_value());
    EXPECT_EQ(d.recipient_tenant_id, kTenantA);

    // Stored as emitted, withdrawal included; delivered once only.
    auto stored = co_await service->get(*id);
    CO_ASSERT_OK(stored);
    EXPECT_EQ(stored->data, data);
    CO_ASSERT(stored->withdrawal.has_value());
    EXPECT_EQ(stored->withdrawal->amount, w.amount);
    EXPECT_EQ(stored->withdrawal->account_id, w.account_id);
    auto again = co_await service->process_due();
    CO_ASSERT_OK(again);
    EXPECT_EQ(*again, 0);
    EXPECT_EQ(sink.sink->count(), 1u);
    co_await sink.server->shutdown();
  });
}

TEST(WebhookDelivery, WithoutASecretNoSignatureHeaderIsSent) {
  TestDatabase db;
  run_test([&](asio::io_context& io) -> awaitable<void> {
    SinkServer sink(io, std::make_shared<Sink>());
    auto service = co_await make_service(test_settings(sink.url), co_await open_db(db.url()));
    CO_ASSERT_OK(co_await service->emit(event(event_type::kOutgoingPaymentCreated, kTenantA)));
    CO_ASSERT_OK(co_await service->process_due());
    CO_ASSERT(sink.sink->count() == 1);
    EXPECT_FALSE(sink.sink->received.front().signature.has_value());
    co_await sink.server->shutdown();
  });
}

TEST(WebhookEmit, RecipientsAreTheOwnerAndTheOperatorWhenConfigured) {
  TestDatabase db;
  run_test([&](asio::io_context&) -> awaitable<void> {
    auto pg = co_await open_db(db.url());
    auto plain = co_await make_service(test_settings(kNoSinkUrl), pg);
    auto settings = test_settings(kNoSinkUrl);
    settings.send_tenant_webhooks_to_operator = true;
    auto copying = co_await make_service(settings, pg);

    auto recipients = [](WebhookService& s, Uuid id) -> awaitable<std::set<Uuid>> {
      auto ds = co_await s.deliveries(id);
      if (!ds) throw std::runtime_error(ds.error().message);
      std::set<Uuid> out;
      for (const auto& d : *ds) {
        out.insert(d.recipient_tenant_id);
        EXPECT_EQ(d.status, DeliveryStatus::kPending);
        EXPECT_EQ(d.attempts, 0);
      }
      co_return out;
    };
    auto a = co_await plain->emit(event(event_type::kOutgoingPaymentCreated, kTenantA));
    CO_ASSERT_OK(a);
    auto to_a = co_await recipients(*plain, *a);
    EXPECT_EQ(to_a, (std::set<Uuid>{kTenantA}));
    auto b = co_await copying->emit(event(event_type::kOutgoingPaymentCreated, kTenantA));
    CO_ASSERT_OK(b);
    auto to_a_and_operator = co_await recipients(*plain, *b);
    EXPECT_EQ(to_a_and_operator, (std::set<Uuid>{kTenantA, kOperator}));
    auto c = co_await copying->emit(event(event_type::kOutgoingPaymentCreated, kOperator));
    CO_ASSERT_OK(c);
    auto to_operator = co_await recipients(*plain, *c);
    EXPECT_EQ(to_operator, (std::set<Uuid>{kOperator}));
  });
}

TEST(WebhookEmit, ACallerChosenIdIsStoredOnceAndBadEventsAreRefused) {
  TestDatabase db;
  run_test([&](asio::io_context&) -> awaitable<void> {
    auto service = co_await make_service(test_settings(kNoSinkUrl), co_await open_db(db.url()));
    Uuid id = Uuid::v4();
    NewEvent e = event(event_type::kWalletAddressNotFound, kTenantA);
    e.id = id;
    NewEvent same = e;
    auto first = co_await service->emit(std::move(e));
    CO_ASSERT_OK(first);
    EXPECT_EQ(*first, id);
    auto second = co_await service->emit(std::move(same));
    CO_ASSERT_OK(second);
    EXPECT_EQ(*second, id);
    auto ds = co_await service->deliveries(id);
    CO_ASSERT_OK(ds);
    EXPECT_EQ(ds->size(), 1u);

    auto empty = co_await service->emit(event(kEmptyType, kTenantA));
    CO_ASSERT(!empty.has_value());
    EXPECT_EQ(empty.error().code, kErrorInvalidEvent);
    boost::json::object huge;
    huge["blob"] = std::string(kEventDataBytesMax, 'x');
    auto too_large = co_await service->emit(event(event_type::kAssetLiquidityLow, kTenantA, huge));
    CO_ASSERT(!too_large.has_value());
    EXPECT_EQ(too_large.error().code, kErrorInvalidEvent);
    boost::json::object just_fits;
    just_fits["blob"] = std::string(kEventDataBytesMax - 11, 'x');  // {"blob":"…"}
    auto fits = co_await service->emit(event(event_type::kAssetLiquidityLow, kTenantB, just_fits));
    CO_ASSERT_OK(fits);
    auto unknown = co_await service->get(Uuid::v4());
    CO_ASSERT(!unknown.has_value());
    EXPECT_EQ(unknown.error().code, kErrorUnknownEvent);
  });
  EXPECT_EQ(db.query_value("SELECT count(*) FROM webhook_events"), "2");
  EXPECT_EQ(db.query_value("SELECT count(*) FROM webhook_events WHERE tenant_id = '" +
                           kTenantA.str() + "'"),
            "1");
}

TEST(WebhookEmit, InsideARolledBackTransactionLeavesNothing) {
  TestDatabase db;
  run_test([&](asio::io_context&) -> awaitable<void> {
    auto pg = co_await open_db(db.url());
    auto service = co_await make_service(test_settings(kNoSinkUrl), pg);
    WebhookService* s = service.get();
    auto rolled_back = co_await pg.transaction([s](store::PgConn& conn) -> awaitable<Result<int>> {
      auto id = co_await s->emit(conn, event(event_type::kIncomingPaymentCreated, kTenantA));
      if (!id) co_return std::unexpected(id.error());
      co_return fail("test.abort", "the caller's work failed");
    });
    EXPECT_FALSE(rolled_back.has_value());
    auto committed = co_await pg.transaction([s](store::PgConn& conn) -> awaitable<Result<Uuid>> {
      co_return co_await s->emit(conn, event(event_type::kIncomingPaymentCreated, kTenantB));
    });
    CO_ASSERT_OK(committed);
  });
  EXPECT_EQ(db.query_value("SELECT count(*) FROM webhook_events"), "1");
  EXPECT_EQ(db.query_value("SELECT count(*) FROM webhook_deliveries"), "1");
  EXPECT_EQ(db.query_value("SELECT tenant_id FROM webhook_events"), kTenantB.str());
}

TEST(WebhookDelivery, RetriesWithBackoffUntilTheSinkAnswers200) {
  TestDatabase db;
  run_test([&](asio::io_context& io) -> awaitable<void> {
    auto state = std::make_shared<Sink>();
    state->fail_first = 3;
    SinkServer sink(io, state);
    auto service = co_await make_service(test_settings(sink.url), co_await open_db(db.url()));
    auto id = co_await service->emit(event(event_type::kOutgoingPaymentCompleted, kTenantA));
    CO_ASSERT_OK(id);

    // A failed attempt is due again only after the back-off.
    CO_ASSERT_OK(co_await service->process_due());
    Delivery after_one = co_await only_delivery(*service, *id);
    EXPECT_EQ(after_one.status, DeliveryStatus::kPending);
    EXPECT_EQ(after_one.attempts, 1);
    EXPECT_EQ(after_one.last_status_code, 500);
    EXPECT_EQ(after_one.last_error.value_or(""), "HTTP status 500");

    bool settled = co_await run_workers_until_settled(just(service.get()), 1, just(*id));
    CO_ASSERT(settled);
    Delivery d = co_await only_delivery(*service, *id);
    EXPECT_EQ(d.status, DeliveryStatus::kDelivered);
    EXPECT_EQ(d.attempts, 4);
    EXPECT_EQ(d.last_status_code, 200);
    EXPECT_FALSE(d.last_error.has_value());
    EXPECT_EQ(state->count(), 4u);
    co_await sink.server->shutdown();
  });
}

TEST(WebhookDelivery, BackoffGrowsWithAttemptsUpToSixSteps) {
  TestDatabase db;
  run_test([&](asio::io_context& io) -> awaitable<void> {
    auto state = std::make_shared<Sink>();
    state->always_fail = true;
    SinkServer sink(io, state);
    auto settings = test_settings(sink.url);
    settings.retry_base_delay = milliseconds(60'000);
    auto pg = co_await open_db(db.url());
    auto service = co_await make_service(settings, pg);
    auto id = co_await service->emit(event(event_type::kOutgoingPaymentFailed, kTenantA));
    CO_ASSERT_OK(id);
    CO_ASSERT_OK(co_await service->process_due());
    // Not due again for about one base delay; nothing is claimed meanwhile.
    auto next = co_await service->process_due();
    CO_ASSERT_OK(next);
    EXPECT_EQ(*next, 0);
    auto delay = co_await pg.query(
        "SELECT extract(epoch FROM process_at - updated_at)::int FROM webhook_deliveries");
    CO_ASSERT_OK(delay);
    EXPECT_NEAR(delay->row(0).get<std::int32_t>(0), 60, 1);
    // After attempt 8 the delay is 6 × base, not 8 ×.
    CO_ASSERT_OK(co_await pg.query(
        "UPDATE webhook_deliveries SET attempts = 7, process_at = now() - interval '1 second'"));
    CO_ASSERT_OK(co_await service->process_due());
    delay = co_await pg.query(
        "SELECT extract(epoch FROM process_at - updated_at)::int, attempts FROM "
        "webhook_deliveries");
    CO_ASSERT_OK(delay);
    EXPECT_NEAR(delay->row(0).get<std::int32_t>(0), 360, 1);
    EXPECT_EQ(delay->row(0).get<std::int32_t>(1), 8);
    co_await sink.server->shutdown();
  });
}

TEST(WebhookDelivery, GivesUpAfterMaxAttemptsAndNeverRetriesAfter) {
  TestDatabase db;
  run_test([&](asio::io_context& io) -> awaitable<void> {
    auto state = std::make_shared<Sink>();
    state->always_fail = true;
    state->fail_status = 503;
    SinkServer sink(io, state);
    auto settings = test_settings(sink.url);
    settings.max_attempts = 3;
    auto service = co_await make_service(settings, co_await open_db(db.url()));
    auto id = co_await service->emit(event(event_type::kIncomingPaymentExpired, kTenantA));
    CO_ASSERT_OK(id);
    bool settled = co_await run_workers_until_settled(just(service.get()), 1, just(*id));
    CO_ASSERT(settled);
    Delivery d = co_await only_delivery(*service, *id);
    EXPECT_EQ(d.status, DeliveryStatus::kFailed);
    EXPECT_EQ(d.attempts, 3);
    EXPECT_EQ(d.last_status_code, 503);
    EXPECT_FALSE(d.process_at.has_value());
    EXPECT_EQ(state->count(), 3u);
    for (int i = 0; i < 5; ++i) {
      auto n = co_await service->process_due();
      CO_ASSERT_OK(n);
      EXPECT_EQ(*n, 0);
      co_await sleep_ms(5);
    }
    EXPECT_EQ(state->count(), 3u);
    co_await sink.server->shutdown();
  });
}

TEST(WebhookDelivery, AnyStatusOtherThan200IsAFailure) {
  TestDatabase db;
  run_test([&](asio::io_context& io) -> awaitable<void> {
    auto state = std::make_shared<Sink>();
    state->always_fail = true;
    state->fail_status = 201;
    SinkServer sink(io, state);
    auto settings = test_settings(sink.url);
    settings.max_attempts = 1;
    auto service = co_await make_service(settings, co_await open_db(db.url()));
    auto id = co_await service->emit(event(event_type::kIncomingPaymentCreated, kTenantA));
    CO_ASSERT_OK(id);
    CO_ASSERT_OK(co_await service->process_due());
    Delivery d = co_await only_delivery(*service, *id);
    EXPECT_EQ(d.status, DeliveryStatus::kFailed);
    EXPECT_EQ(d.last_status_code, 201);

    // No listener at all: a connection failure, no status code.
    auto closed_settings = test_settings(kClosedPortUrl);
    closed_settings.max_attempts = 1;
    auto closed_pg = co_await open_db(db.url());
    auto closed = co_await make_service(closed_settings, closed_pg);
    auto other = co_await closed->emit(event(event_type::kIncomingPaymentCreated, kTenantA));
    CO_ASSERT_OK(other);
    CO_ASSERT_OK(co_await closed->process_due());
    Delivery e = co_await only_delivery(*closed, *other);
    EXPECT_EQ(e.status, DeliveryStatus::kFailed);
    EXPECT_FALSE(e.last_status_code.has_value());
    EXPECT_TRUE(e.last_error.has_value());
    co_await sink.server->shutdown();
  });
}

TEST(WebhookDelivery, ASinkSlowerThanTheTimeoutCountsAsAFailure) {
  TestDatabase db;
  run_test(
      [&](asio::io_context& io) -> awaitable<void> {
        auto state = std::make_shared<Sink>();
        state->delay_ms = 1'000;
        SinkServer sink(io, state);
        auto settings = test_settings(sink.url);
        settings.timeout = milliseconds(50);
        settings.max_attempts = 2;
        auto service = co_await make_service(settings, co_await open_db(db.url()));
        auto id = co_await service->emit(event(event_type::kOutgoingPaymentCreated, kTenantA));
        CO_ASSERT_OK(id);
        CO_ASSERT_OK(co_await service->process_due());
        Delivery d = co_await only_delivery(*service, *id);
        EXPECT_EQ(d.status, DeliveryStatus::kPending);
        EXPECT_EQ(d.attempts, 1);
        EXPECT_FALSE(d.last_status_code.has_value());
        EXPECT_NE(d.last_error.value_or("").find("timeout"), std::string::npos) << *d.last_error;
        co_await sink.server->shutdown();
      },
      2);
}

TEST(WebhookDelivery, TwoWorkersAtOnceDeliverEachEventExactlyOnce) {
  constexpr int kEvents = 40;
  TestDatabase db;
  run_test(
      [&](asio::io_context& io) -> awaitable<void> {
        auto state = std::make_shared<Sink>();
        state->delay_ms = 3;
        SinkServer sink(io, state);
        auto pg = co_await open_db(db.url(), 12);
        // Two services stand for two processes: separate HTTP clients, shared database.
        auto one = co_await make_service(test_settings(sink.url), pg);
        auto two = co_await make_service(test_settings(sink.url), pg);
        std::vector<Uuid> ids;
        for (int i = 0; i < kEvents; ++i) {
          auto id = co_await one->emit(event(event_type::kIncomingPaymentCompleted, kTenantA));
          CO_ASSERT_OK(id);
          ids.push_back(*id);
        }
        std::vector<WebhookService*> both{one.get(), two.get()};
        bool settled = co_await run_workers_until_settled(both, 2, ids);
        CO_ASSERT(settled);
        EXPECT_EQ(state->count(), static_cast<std::size_t>(kEvents));
        std::set<std::string> seen;
        for (const auto& r : state->received) {
          seen.insert(std::string(boost::json::parse(r.body).as_object().at("id").as_string()));
        }
        EXPECT_EQ(seen.size(), static_cast<std::size_t>(kEvents));
        EXPECT_FALSE(state->overlapped);
        for (const auto& id : ids) {
          Delivery d = co_await only_delivery(*one, id);
          EXPECT_EQ(d.status, DeliveryStatus::kDelivered);
          EXPECT_EQ(d.attempts, 1);
        }
        co_await sink.server->shutdown();
      },
      3);
}

TEST(WebhookDelivery, AClaimLeftByACrashedWorkerIsRetriedWhenItsLeaseEnds) {
  TestDatabase db;
  run_test([&](asio::io_context& io) -> awaitable<void> {
    SinkServer sink(io, std::make_shared<Sink>());
    auto pg = co_await open_db(db.url());
    auto service = co_await make_service(test_settings(sink.url), pg);
    auto id = co_await service->emit(event(event_type::kOutgoingPaymentCompleted, kTenantA));
    CO_ASSERT_OK(id);

    // A worker claims the delivery, then dies before recording anything.
    EventStore store(pg);
    auto claimed = co_await store.claim_due(kClaimBatchMax, milliseconds(300));
    CO_ASSERT_OK(claimed);
    CO_ASSERT(claimed->size() == 1);
    // While the lease holds nobody else takes it.
    auto during = co_await service->process_due();
    CO_ASSERT_OK(during);
    EXPECT_EQ(*during, 0);
    EXPECT_EQ(sink.sink->count(), 0u);

    co_await sleep_ms(350);
    auto after = co_await service->process_due();
    CO_ASSERT_OK(after);
    EXPECT_EQ(*after, 1);
    EXPECT_EQ(sink.sink->count(), 1u);
    Delivery d = co_await only_delivery(*service, *id);
    EXPECT_EQ(d.status, DeliveryStatus::kDelivered);
    EXPECT_EQ(d.attempts, 1);

    // The dead worker's late result is not recorded over the new one.
    AttemptOutcome late;
    late.error = "late";
    auto recorded = co_await store.record(claimed->front(), late, 10, milliseconds(1), 6);
    CO_ASSERT_OK(recorded);
    EXPECT_FALSE(*recorded);
    Delivery still = co_await only_delivery(*service, *id);
    EXPECT_EQ(still.status, DeliveryStatus::kDelivered);
    co_await sink.server->shutdown();
  });
}

namespace {

std::vector<Uuid> ids_of(const EventPage& page) {
  std::vector<Uuid> out;
  for (const auto& e : page.events) out.push_back(e.id);
  return out;
}

std::vector<Uuid> slice(const std::vector<Uuid>& v, std::size_t from, std::size_t n) {
  return std::vector<Uuid>(v.begin() + static_cast<long>(from),
                           v.begin() + static_cast<long>(std::min(v.size(), from + n)));
}

}  // namespace

TEST(WebhookList, FiltersByTypeWithCardEventsHiddenByDefaultAndScopesByTenant) {
  TestDatabase db;
  run_test([&](asio::io_context&) -> awaitable<void> {
    auto service = co_await make_service(test_settings(kNoSinkUrl), co_await open_db(db.url()));
    std::map<std::string, Uuid> by;
    for (auto [type, tenant] :
         std::vector<std::pair<std::string, Uuid>>{{"incoming_payment.created", kTenantA},
                                                   {"outgoing_payment.funded", kTenantA},
                                                   {"outgoing_payment.cancelled", kTenantB},
                                                   {"outgoing_payment.created", kTenantB},
                                                   {"asset.liquidity_low", kTenantA}}) {
      auto id = co_await service->emit(event(type, tenant));
      CO_ASSERT_OK(id);
      by[type] = *id;
    }
    auto types = [&](ListQuery q) -> awaitable<std::set<std::string>> {
      auto page = co_await service->list(std::move(q));
      if (!page) throw std::runtime_error(page.error().message);
      std::set<std::string> out;
      for (const auto& e : page->events) out.insert(e.type);
      co_return out;
    };
    using Set = std::set<std::string>;
    ListQuery all;
    auto default_types = co_await types(all);
    EXPECT_EQ(default_types,
              (Set{"incoming_payment.created", "outgoing_payment.created", "asset.liquidity_low"}));
    ListQuery empty_not_in;
    empty_not_in.filter.type_not_in = std::vector<std::string>{};
    auto with_empty_not_in = co_await types(empty_not_in);
    auto with_no_filter = co_await types(all);
    EXPECT_EQ(with_empty_not_in, with_no_filter);
    ListQuery not_in;
    not_in.filter.type_not_in = std::vector<std::string>{"asset.liquidity_low"};
    auto with_not_in = co_await types(not_in);
    EXPECT_EQ(with_not_in, (Set{"incoming_payment.created", "outgoing_payment.created",
                                "outgoing_payment.funded", "outgoing_payment.cancelled"}));
    ListQuery in;
    in.filter.type_in = std::vector<std::string>{"outgoing_payment.created", "no.such"};
    auto with_in = co_await types(in);
    EXPECT_EQ(with_in, (Set{"outgoing_payment.created"}));
    // in names a hidden type but the default notIn still applies.
    ListQuery in_hidden;
    in_hidden.filter.type_in = std::vector<std::string>{"outgoing_payment.funded"};
    auto hidden_in = co_await types(in_hidden);
    EXPECT_EQ(hidden_in, Set{});
    in_hidden.filter.type_not_in = std::vector<std::string>{"x"};
    auto hidden_in_shown = co_await types(in_hidden);
    EXPECT_EQ(hidden_in_shown, (Set{"outgoing_payment.funded"}));
    ListQuery in_empty;
    in_empty.filter.type_in = std::vector<std::string>{};
    auto with_empty_in = co_await types(in_empty);
    EXPECT_EQ(with_empty_in, Set{});
    // Odd characters in a filter are just strings.
    ListQuery odd;
    odd.filter.type_in = std::vector<std::string>{"a\"b", "c\\d", "{e,f}", "'; DROP TABLE x"};
    auto with_odd_in = co_await types(odd);
    EXPECT_EQ(with_odd_in, Set{});

    ListQuery a;
    a.tenant_id = kTenantA;
    auto of_a = co_await types(a);
    EXPECT_EQ(of_a, (Set{"incoming_payment.created", "asset.liquidity_low"}));
    ListQuery b;
    b.tenant_id = kTenantB;
    auto of_b = co_await types(b);
    EXPECT_EQ(of_b, (Set{"outgoing_payment.created"}));

    auto own = co_await service->get(by["outgoing_payment.created"], kTenantB);
    CO_ASSERT_OK(own);
    auto others = co_await service->get(by["outgoing_payment.created"], kTenantA);
    CO_ASSERT(!others.has_value());
    EXPECT_EQ(others.error().code, kErrorUnknownEvent);
  });
}

TEST(WebhookList, PagesForwardAndBackwardInBothSortOrders) {
  constexpr int kEvents = 7;
  TestDatabase db;
  run_test([&](asio::io_context&) -> awaitable<void> {
    auto service = co_await make_service(test_settings(kNoSinkUrl), co_await open_db(db.url()));
    std::vector<Uuid> emitted;
    for (int i = 0; i < kEvents; ++i) {
      auto id = co_await service->emit(event(event_type::kIncomingPaymentCreated, kTenantA));
      CO_ASSERT_OK(id);
      emitted.push_back(*id);
    }
    // Another tenant's events never show in A's pages.
    CO_ASSERT_OK(co_await service->emit(event(event_type::kIncomingPaymentCreated, kTenantB)));

    auto page = [&](ListQuery q) -> awaitable<EventPage> {
      q.tenant_id = kTenantA;
      auto p = co_await service->list(std::move(q));
      if (!p) throw std::runtime_error(p.error().code + ": " + p.error().message);
      co_return std::move(*p);
    };
    ListQuery asc_all;
    asc_all.ascending = true;
    EventPage everything = co_await page(asc_all);
    EXPECT_EQ(ids_of(everything), emitted);  // oldest first
    EXPECT_FALSE(everything.has_next_page);
    EXPECT_FALSE(everything.has_previous_page);
    std::vector<Uuid> desc(emitted.rbegin(), emitted.rend());

    // Newest first (the default), forward in pages of 3.
    ListQuery q;
    q.first = 3;
    EventPage p1 = co_await page(q);
    EXPECT_EQ(ids_of(p1), slice(desc, 0, 3));
    EXPECT_TRUE(p1.has_next_page);
    EXPECT_FALSE(p1.has_previous_page);
    q.after = p1.events.back().id.str();
    EventPage p2 = co_await page(q);
    EXPECT_EQ(ids_of(p2), slice(desc, 3, 3));
    EXPECT_TRUE(p2.has_next_page);
    EXPECT_TRUE(p2.has_previous_page);
    q.after = p2.events.back().id.str();
    EventPage p3 = co_await page(q);
    EXPECT_EQ(ids_of(p3), slice(desc, 6, 3));
    EXPECT_FALSE(p3.has_next_page);
    EXPECT_TRUE(p3.has_previous_page);

    // Backward from the last page's start.
    ListQuery back;
    back.last = 2;
    back.before = p3.events.front().id.str();
    EventPage b1 = co_await page(back);
    EXPECT_EQ(ids_of(b1), slice(desc, 4, 2));
    EXPECT_TRUE(b1.has_next_page);
    EXPECT_TRUE(b1.has_previous_page);
    back.before = desc[1].str();
    EventPage b2 = co_await page(back);
    EXPECT_EQ(ids_of(b2), slice(desc, 0, 1));
    EXPECT_FALSE(b2.has_previous_page);
    EXPECT_TRUE(b2.has_next_page);

    // Oldest first, forward and backward.
    ListQuery asc;
    asc.ascending = true;
    asc.first = 4;
    asc.after = emitted[1].str();
    auto asc_page = co_await page(asc);
    EXPECT_EQ(ids_of(asc_page), slice(emitted, 2, 4));
    ListQuery asc_back;
    asc_back.ascending = true;
    asc_back.last = 2;
    asc_back.before = emitted[5].str();
    auto asc_back_page = co_await page(asc_back);
    EXPECT_EQ(ids_of(asc_back_page), slice(emitted, 3, 2));
    // `after` wins over `before`.
    asc_back.after = emitted[0].str();
    asc_back.first = 1;
    auto after_wins_page = co_await page(asc_back);
    EXPECT_EQ(ids_of(after_wins_page), slice(emitted, 1, 1));

    // first 0 means the default; unknown and malformed cursors give empty pages.
    ListQuery zero;
    zero.first = 0;
    auto default_size_page = co_await page(zero);
    EXPECT_EQ(default_size_page.events.size(), static_cast<std::size_t>(kEvents));
    ListQuery unknown;
    unknown.after = Uuid::v4().str();
    EventPage empty = co_await page(unknown);
    EXPECT_TRUE(empty.events.empty());
    EXPECT_FALSE(empty.has_next_page);
    EXPECT_FALSE(empty.has_previous_page);
    ListQuery malformed;
    malformed.before = "not-a-uuid";
    auto malformed_page = co_await page(malformed);
    EXPECT_TRUE(malformed_page.events.empty());

    // Bad arguments, with upstream's messages.
    ListQuery backwards_from_start;
    backwards_from_start.last = 2;
    auto e1 = co_await service->list(backwards_from_start);
    CO_ASSERT(!e1.has_value());
    EXPECT_EQ(e1.error().code, kErrorPaginateBackwardsFromStart);
    EXPECT_EQ(e1.error().message, "Can't paginate backwards from the start.");
    backwards_from_start.after = emitted[0].str();  // {after, last} fails the same way
    auto after_and_last = co_await service->list(backwards_from_start);
    EXPECT_FALSE(after_and_last.has_value());
    for (int bad : {-1, 101}) {
      ListQuery big;
      big.first = bad;
      auto e2 = co_await service->list(big);
      CO_ASSERT(!e2.has_value());
      EXPECT_EQ(e2.error().code, kErrorPaginationIndex);
      EXPECT_EQ(e2.error().message, "Pagination index error");
      ListQuery big_last;
      big_last.before = emitted[0].str();
      big_last.last = bad;
      auto bad_last = co_await service->list(big_last);
      EXPECT_FALSE(bad_last.has_value());
    }
    ListQuery max;
    max.first = 100;
    auto largest_page = co_await service->list(max);
    EXPECT_TRUE(largest_page.has_value());
  });
}

TEST(WebhookDelivery, TenantSettingsChooseTheUrlTimeoutAndAttempts) {
  TestDatabase db;
  run_test([&](asio::io_context& io) -> awaitable<void> {
    SinkServer general(io, std::make_shared<Sink>());
    auto own_state = std::make_shared<Sink>();
    own_state->always_fail = true;
    SinkServer own(io, own_state);
    auto own_settings = test_settings(general.url);
    own_settings.tenant_urls_allow_private = true;  // tenant B's own URL is the loopback sink
    auto service = co_await make_service(own_settings, co_await open_db(db.url()));
    std::string own_url = own.url;
    auto lookups = std::make_shared<std::atomic<int>>(0);
    auto failing = std::make_shared<std::atomic<bool>>(false);
    service->set_tenant_settings_lookup(
        [own_url, lookups, failing](
            Uuid tenant) -> awaitable<Result<std::vector<std::pair<std::string, std::string>>>> {
          ++*lookups;
          if (failing->load()) co_return fail("pg.connection", "settings unavailable");
          std::vector<std::pair<std::string, std::string>> out;
          if (tenant == kTenantB) {
            out.emplace_back("WEBHOOK_URL", own_url);
            out.emplace_back("WEBHOOK_MAX_RETRY", "1");
            out.emplace_back("WEBHOOK_TIMEOUT", "3000");
          } else {
            // Not valid: the process's configuration applies.
            out.emplace_back("WEBHOOK_MAX_RETRY", "-4");
            out.emplace_back("WEBHOOK_TIMEOUT", "soon");
          }
          co_return out;
        });
    service->set_tenant_secret_lookup([](Uuid) -> awaitable<Result<std::optional<std::string>>> {
      co_return std::optional<std::string>("tenant-secret");
    });
    auto url_b = co_await service->recipient_url(kTenantB);
    EXPECT_EQ(url_b, own.url);
    auto settings_a = co_await service->recipient_settings(kTenantA);
    CO_ASSERT_OK(settings_a);
    EXPECT_EQ(settings_a->url, general.url);
    EXPECT_EQ(settings_a->max_attempts, 10);
    EXPECT_EQ(settings_a->timeout, milliseconds(2'000));

    auto a = co_await service->emit(event(event_type::kIncomingPaymentCreated, kTenantA));
    CO_ASSERT_OK(a);
    auto b = co_await service->emit(event(event_type::kIncomingPaymentCreated, kTenantB));
    CO_ASSERT_OK(b);
    auto processed = co_await service->process_due();
    CO_ASSERT_OK(processed);
    EXPECT_EQ(*processed, 2);
    EXPECT_EQ(general.sink->count(), 1u);
    EXPECT_EQ(own_state->count(), 1u);
    Delivery da = co_await only_delivery(*service, *a);
    EXPECT_EQ(da.status, DeliveryStatus::kDelivered);
    Delivery db_ = co_await only_delivery(*service, *b);
    EXPECT_EQ(db_.status, DeliveryStatus::kFailed);  // WEBHOOK_MAX_RETRY 1
    EXPECT_EQ(db_.attempts, 1);

    // Settings that cannot be read: nothing is sent and no attempt is counted.
    failing->store(true);
    auto c = co_await service->emit(event(event_type::kIncomingPaymentCreated, kTenantA));
    CO_ASSERT_OK(c);
    CO_ASSERT_OK(co_await service->process_due());
    EXPECT_EQ(general.sink->count(), 1u);
    Delivery dc = co_await only_delivery(*service, *c);
    EXPECT_EQ(dc.status, DeliveryStatus::kPending);
    EXPECT_EQ(dc.attempts, 0);
    CO_ASSERT(dc.process_at.has_value());
    EXPECT_GT(*dc.process_at, now_ms());  // leased, so not claimed again at once
    co_await general.server->shutdown();
    co_await own.server->shutdown();
  });
}

TEST(WebhookDelivery, NoAttemptIsMadeBeyondMaxAttemptsEvenWhenItIsLowered) {
  TestDatabase db;
  run_test([&](asio::io_context& io) -> awaitable<void> {
    SinkServer sink(io, std::make_shared<Sink>());
    auto settings = test_settings(sink.url);
    settings.max_attempts = 0;
    auto pg = co_await open_db(db.url());
    auto never = co_await make_service(settings, pg);
    auto id = co_await never->emit(event(event_type::kIncomingPaymentCreated, kTenantA));
    CO_ASSERT_OK(id);
    auto processed = co_await never->process_due();
    CO_ASSERT_OK(processed);
    EXPECT_EQ(*processed, 1);
    Delivery d = co_await only_delivery(*never, *id);
    EXPECT_EQ(d.status, DeliveryStatus::kFailed);
    EXPECT_EQ(d.attempts, 0);

    // Three attempts made under a limit of 10; the limit is now 2.
    settings.max_attempts = 2;
    auto lowered = co_await make_service(settings, pg);
    auto other = co_await lowered->emit(event(event_type::kIncomingPaymentCreated, kTenantA));
    CO_ASSERT_OK(other);
    CO_ASSERT_OK(co_await pg.query("UPDATE webhook_deliveries SET attempts = 3 WHERE event_id = $1",
                                   *other));
    CO_ASSERT_OK(co_await lowered->process_due());
    Delivery e = co_await only_delivery(*lowered, *other);
    EXPECT_EQ(e.status, DeliveryStatus::kFailed);
    EXPECT_EQ(e.attempts, 3);
    EXPECT_EQ(sink.sink->count(), 0u);
    co_await sink.server->shutdown();
  });
}

namespace {

// Whether a delivery's Rafiki-Signature header verifies with `key`.
bool verifies_with(const Sink::Received& got, std::string_view key) {
  if (!got.signature) return false;
  auto parsed = backend::admin::parse_signature_header(*got.signature);
  auto canonical = backend::admin::canonicalize_json(got.body);
  if (!parsed || !canonical) return false;
  return parsed->digest == backend::admin::signature_digest(key, parsed->timestamp_ms, *canonical);
}

// Tenant A and B each have their own WEBHOOK_URL; the operator and tenant C do not. API secrets
// come from `secrets` (a missing entry: the tenant is deleted).
struct TenantDirectory {
  std::map<Uuid, std::string> urls;
  std::map<Uuid, std::string> secrets;
  std::mutex mutex;
};

void use_directory(WebhookService& service, std::shared_ptr<TenantDirectory> directory) {
  service.set_tenant_settings_lookup(
      [directory](
          Uuid tenant) -> awaitable<Result<std::vector<std::pair<std::string, std::string>>>> {
        std::vector<std::pair<std::string, std::string>> out;
        std::lock_guard lock(directory->mutex);
        if (auto it = directory->urls.find(tenant); it != directory->urls.end())
          out.emplace_back("WEBHOOK_URL", it->second);
        co_return out;
      });
  service.set_tenant_secret_lookup(
      [directory](Uuid tenant) -> awaitable<Result<std::optional<std::string>>> {
        std::lock_guard lock(directory->mutex);
        auto it = directory->secrets.find(tenant);
        if (it == directory->secrets.end()) co_return std::optional<std::string>{};
        co_return std::optional<std::string>(it->second);
      });
}

const Uuid kTenantC = *Uuid::parse("cccccccc-cccc-4ccc-8ccc-cccccccccccc");

}  // namespace

TEST(WebhookSignature, TenantKeyIsTheDocumentedDerivation) {
  // printf '%s' 'rafiki webhook signature v1' | openssl dgst -sha256 -hmac 'tenant-a-secret'
  EXPECT_EQ(tenant_signature_key("tenant-a-secret"),
            "c9463801ed0c268ea118bba6bb20a2e5a14c55413429f5d4e30a961e5c5adf0e");
  EXPECT_NE(tenant_signature_key("tenant-a-secret"), tenant_signature_key("tenant-b-secret"));
}

TEST(WebhookDelivery, ATenantsOwnUrlGetsDeliveriesOnlyItsKeyVerifies) {
  TestDatabase db;
  run_test([&](asio::io_context& io) -> awaitable<void> {
    SinkServer general(io, std::make_shared<Sink>());
    SinkServer sink_a(io, std::make_shared<Sink>());
    SinkServer sink_b(io, std::make_shared<Sink>());
    auto settings = test_settings(general.url);
    settings.signature_secret = "operator-signature-secret";
    settings.send_tenant_webhooks_to_operator = true;
    settings.tenant_urls_allow_private = true;  // the sinks are on loopback
    auto service = co_await make_service(settings, co_await open_db(db.url()));
    auto directory = std::make_shared<TenantDirectory>();
    directory->urls[kTenantA] = sink_a.url;
    directory->urls[kTenantB] = sink_b.url;
    directory->secrets[kOperator] = "operator-api-secret";
    directory->secrets[kTenantA] = "tenant-a-secret";
    directory->secrets[kTenantB] = "tenant-b-secret";
    directory->secrets[kTenantC] = "tenant-c-secret";
    use_directory(*service, directory);
    const std::string key_a = tenant_signature_key("tenant-a-secret");
    const std::string key_b = tenant_signature_key("tenant-b-secret");

    // A's event: one copy to A's own URL, one to the operator's (SEND_TENANT_WEBHOOKS_TO_OPERATOR).
    auto a = co_await service->emit(event(event_type::kIncomingPaymentCreated, kTenantA));
    CO_ASSERT_OK(a);
    auto op = co_await service->emit(event(event_type::kIncomingPaymentCreated, kOperator));
    CO_ASSERT_OK(op);
    CO_ASSERT_OK(co_await service->process_due());
    CO_ASSERT(sink_a.sink->count() == 1);
    CO_ASSERT(general.sink->count() == 2);
    const Sink::Received to_a = sink_a.sink->received.front();
    EXPECT_TRUE(verifies_with(to_a, key_a));
    EXPECT_FALSE(verifies_with(to_a, key_b));
    EXPECT_FALSE(verifies_with(to_a, "operator-signature-secret"));
    EXPECT_FALSE(verifies_with(to_a, "tenant-a-secret"));  // the key, not the API secret
    // The operator's endpoint gets both its own event and A's copy under SIGNATURE_SECRET.
    for (const auto& got : general.sink->received) {
      EXPECT_TRUE(verifies_with(got, "operator-signature-secret"));
      EXPECT_FALSE(verifies_with(got, key_a));
    }
    EXPECT_EQ(sink_b.sink->count(), 0u);

    // C has no WEBHOOK_URL: its deliveries go to the operator's endpoint, signed for it.
    auto c = co_await service->emit(event(event_type::kIncomingPaymentCreated, kTenantC));
    CO_ASSERT_OK(c);
    CO_ASSERT_OK(co_await service->process_due());
    CO_ASSERT(general.sink->count() == 4);
    EXPECT_TRUE(verifies_with(general.sink->received[2], "operator-signature-secret"));
    EXPECT_TRUE(verifies_with(general.sink->received[3], "operator-signature-secret"));

    // Rotating A's API secret rotates its key.
    {
      std::lock_guard lock(directory->mutex);
      directory->secrets[kTenantA] = "tenant-a-rotated";
    }
    settings.send_tenant_webhooks_to_operator = false;
    auto rotated_service = co_await make_service(settings, co_await open_db(db.url()));
    use_directory(*rotated_service, directory);
    auto a2 = co_await rotated_service->emit(event(event_type::kIncomingPaymentCreated, kTenantA));
    CO_ASSERT_OK(a2);
    CO_ASSERT_OK(co_await rotated_service->process_due());
    CO_ASSERT(sink_a.sink->count() == 2);
    EXPECT_TRUE(verifies_with(sink_a.sink->received[1], tenant_signature_key("tenant-a-rotated")));
    EXPECT_FALSE(verifies_with(sink_a.sink->received[1], key_a));

    // A deleted tenant (no secret) is never sent anything under another key.
    {
      std::lock_guard lock(directory->mutex);
      directory->secrets.erase(kTenantB);
    }
    auto b = co_await rotated_service->emit(event(event_type::kIncomingPaymentCreated, kTenantB));
    CO_ASSERT_OK(b);
    CO_ASSERT_OK(co_await rotated_service->process_due());
    EXPECT_EQ(sink_b.sink->count(), 0u);
    Delivery db_ = co_await only_delivery(*rotated_service, *b);
    EXPECT_EQ(db_.status, DeliveryStatus::kPending);
    EXPECT_EQ(db_.attempts, 1);
    EXPECT_NE(db_.last_error.value_or("").find("cannot sign"), std::string::npos);
    co_await general.server->shutdown();
    co_await sink_a.server->shutdown();
    co_await sink_b.server->shutdown();
  });
}

TEST(WebhookDelivery, WithoutSignatureSecretTenantsStillGetSignedDeliveries) {
  TestDatabase db;
  run_test([&](asio::io_context& io) -> awaitable<void> {
    SinkServer general(io, std::make_shared<Sink>());
    SinkServer sink_a(io, std::make_shared<Sink>());
    auto settings = test_settings(general.url);
    settings.tenant_urls_allow_private = true;
    auto service = co_await make_service(settings, co_await open_db(db.url()));
    auto directory = std::make_shared<TenantDirectory>();
    directory->urls[kTenantA] = sink_a.url;
    directory->urls[kOperator] = general.url;  // the operator's own setting: SIGNATURE_SECRET
    directory->secrets[kTenantA] = "tenant-a-secret";
    directory->secrets[kOperator] = "operator-api-secret";
    use_directory(*service, directory);
    CO_ASSERT_OK(co_await service->emit(event(event_type::kIncomingPaymentCreated, kTenantA)));
    CO_ASSERT_OK(co_await service->emit(event(event_type::kIncomingPaymentCreated, kOperator)));
    CO_ASSERT_OK(co_await service->process_due());
    CO_ASSERT(sink_a.sink->count() == 1);
    CO_ASSERT(general.sink->count() == 1);
    EXPECT_TRUE(
        verifies_with(sink_a.sink->received.front(), tenant_signature_key("tenant-a-secret")));
    EXPECT_FALSE(general.sink->received.front().signature.has_value());  // as upstream
    co_await general.server->shutdown();
    co_await sink_a.server->shutdown();
  });
}

TEST(WebhookDelivery, ATenantsOwnUrlMayNotReachLoopbackUnlessTheOperatorAllowsIt) {
  TestDatabase db;
  run_test([&](asio::io_context& io) -> awaitable<void> {
    SinkServer general(io, std::make_shared<Sink>());
    SinkServer sink_a(io, std::make_shared<Sink>());
    auto settings = test_settings(general.url);  // TENANT_OUTBOUND_ALLOW_PRIVATE unset
    auto pg = co_await open_db(db.url());
    auto service = co_await make_service(settings, pg);
    auto directory = std::make_shared<TenantDirectory>();
    directory->urls[kTenantA] = sink_a.url;
    // A host name resolving to loopback is refused as well: the check is on the address.
    const std::string sink_port = sink_a.url.substr(sink_a.url.rfind(':'));
    directory->urls[kTenantB] = "http://localhost" + sink_port;
    directory->urls[kOperator] = sink_a.url;  // the operator's own setting: unrestricted
    directory->secrets[kTenantA] = "tenant-a-secret";
    directory->secrets[kTenantB] = "tenant-b-secret";
    directory->secrets[kOperator] = "operator-api-secret";
    use_directory(*service, directory);

    auto a = co_await service->emit(event(event_type::kIncomingPaymentCreated, kTenantA));
    CO_ASSERT_OK(a);
    auto b = co_await service->emit(event(event_type::kIncomingPaymentCreated, kTenantB));
    CO_ASSERT_OK(b);
    auto c = co_await service->emit(event(event_type::kIncomingPaymentCreated, kTenantC));
    CO_ASSERT_OK(c);  // no own URL: the process's WEBHOOK_URL (the operator's), unrestricted
    auto op = co_await service->emit(event(event_type::kIncomingPaymentCreated, kOperator));
    CO_ASSERT_OK(op);
    CO_ASSERT_OK(co_await service->process_due());
    EXPECT_EQ(general.sink->count(), 1u);  // C's
    EXPECT_EQ(sink_a.sink->count(), 1u);   // the operator's own, nothing of A's or B's
    for (const Uuid& refused : {*a, *b}) {
      Delivery d = co_await only_delivery(*service, refused);
      EXPECT_EQ(d.status, DeliveryStatus::kPending);
      EXPECT_EQ(d.attempts, 1);
      EXPECT_TRUE(d.last_error.value_or("").starts_with("http.forbidden_address"))
          << d.last_error.value_or("");
    }
    EXPECT_EQ((co_await only_delivery(*service, *op)).status, DeliveryStatus::kDelivered);

    // With TENANT_OUTBOUND_ALLOW_PRIVATE, A's loopback URL is delivered to; a link-local or
    // metadata address never is (refused before connecting: no packet leaves the host).
    settings.tenant_urls_allow_private = true;
    auto allowing = co_await make_service(settings, pg);
    {
      std::lock_guard lock(directory->mutex);
      directory->urls[kTenantB] = "http://169.254.169.254/latest/meta-data/";
    }
    use_directory(*allowing, directory);
    auto a2 = co_await allowing->emit(event(event_type::kIncomingPaymentCreated, kTenantA));
    CO_ASSERT_OK(a2);
    auto b2 = co_await allowing->emit(event(event_type::kIncomingPaymentCreated, kTenantB));
    CO_ASSERT_OK(b2);
    CO_ASSERT_OK(co_await pg.query("UPDATE webhook_deliveries SET process_at = now() WHERE status = 'pending'"));
    CO_ASSERT_OK(co_await allowing->process_due());
    EXPECT_EQ((co_await only_delivery(*allowing, *a2)).status, DeliveryStatus::kDelivered);
    Delivery metadata = co_await only_delivery(*allowing, *b2);
    EXPECT_EQ(metadata.status, DeliveryStatus::kPending);
    EXPECT_TRUE(metadata.last_error.value_or("").starts_with("http.forbidden_address"))
        << metadata.last_error.value_or("");
    co_await general.server->shutdown();
    co_await sink_a.server->shutdown();
  });
}
