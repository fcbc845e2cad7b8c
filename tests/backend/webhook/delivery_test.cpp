// Webhook deliveries against a real PostgreSQL and a real HTTP sink on loopback: what is POSTed,
// retries with back-off, giving up, timeouts, several workers at once, and leases that outlive a
// crashed worker.
#include <gtest/gtest.h>

#include "backend/admin/canonical_json.h"
#include "backend/admin/signature.h"
#include "backend/webhook/util.h"

namespace rafiki::backend::test::webhook_test {

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
    CO_ASSERT(stored.has_value());
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
    WebhookStore store(pg);
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

}  // namespace rafiki::backend::test::webhook_test
