// How webhook deliveries are signed and where they go per tenant, against a real PostgreSQL and
// real HTTP sinks on loopback: the reference signature, tenants' own WEBHOOK_URL / timeout /
// attempts settings, the key derived from a tenant's API secret, and the outbound address policy
// on tenants' URLs.
#include <gtest/gtest.h>

#include "backend/admin/canonical_json.h"
#include "backend/admin/signature.h"
#include "backend/webhook/util.h"

namespace rafiki::backend::test::webhook_test {

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

TEST(WebhookDelivery, TenantSettingsChooseTheUrlTimeoutAndAttempts) {
  TestDatabase db;
  run_test([&](asio::io_context& io) -> awaitable<void> {
    SinkServer general(io, std::make_shared<Sink>());
    auto own_state = std::make_shared<Sink>();
    own_state->always_fail = true;
    SinkServer own(io, own_state);
    auto own_settings = test_settings(general.url);
    own_settings.tenant_urls_allow_private = true;  // tenant B's own URL is the loopback sink
    std::string own_url = own.url;
    auto lookups = std::make_shared<std::atomic<int>>(0);
    auto failing = std::make_shared<std::atomic<bool>>(false);
    TenantLookups tenants;
    tenants.settings =
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
    };
    tenants.secret = [](Uuid) -> awaitable<Result<std::optional<std::string>>> {
      co_return std::optional<std::string>("tenant-secret");
    };
    auto service =
        co_await make_service(own_settings, co_await open_db(db.url()), std::move(tenants));
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

TenantLookups lookups_of(std::shared_ptr<TenantDirectory> directory) {
  TenantLookups lookups;
  lookups.settings =
      [directory](
          Uuid tenant) -> awaitable<Result<std::vector<std::pair<std::string, std::string>>>> {
    std::vector<std::pair<std::string, std::string>> out;
    std::lock_guard lock(directory->mutex);
    if (auto it = directory->urls.find(tenant); it != directory->urls.end())
      out.emplace_back("WEBHOOK_URL", it->second);
    co_return out;
  };
  lookups.secret = [directory](Uuid tenant) -> awaitable<Result<std::optional<std::string>>> {
    std::lock_guard lock(directory->mutex);
    auto it = directory->secrets.find(tenant);
    if (it == directory->secrets.end()) co_return std::optional<std::string>{};
    co_return std::optional<std::string>(it->second);
  };
  return lookups;
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
    auto directory = std::make_shared<TenantDirectory>();
    auto service =
        co_await make_service(settings, co_await open_db(db.url()), lookups_of(directory));
    directory->urls[kTenantA] = sink_a.url;
    directory->urls[kTenantB] = sink_b.url;
    directory->secrets[kOperator] = "operator-api-secret";
    directory->secrets[kTenantA] = "tenant-a-secret";
    directory->secrets[kTenantB] = "tenant-b-secret";
    directory->secrets[kTenantC] = "tenant-c-secret";
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
    auto rotated_service =
        co_await make_service(settings, co_await open_db(db.url()), lookups_of(directory));
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
    auto directory = std::make_shared<TenantDirectory>();
    auto service =
        co_await make_service(settings, co_await open_db(db.url()), lookups_of(directory));
    directory->urls[kTenantA] = sink_a.url;
    directory->urls[kOperator] = general.url;  // the operator's own setting: SIGNATURE_SECRET
    directory->secrets[kTenantA] = "tenant-a-secret";
    directory->secrets[kOperator] = "operator-api-secret";
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
    auto directory = std::make_shared<TenantDirectory>();
    auto service = co_await make_service(settings, pg, lookups_of(directory));
    directory->urls[kTenantA] = sink_a.url;
    // A host name resolving to loopback is refused as well: the check is on the address.
    const std::string sink_port = sink_a.url.substr(sink_a.url.rfind(':'));
    directory->urls[kTenantB] = "http://localhost" + sink_port;
    directory->urls[kOperator] = sink_a.url;  // the operator's own setting: unrestricted
    directory->secrets[kTenantA] = "tenant-a-secret";
    directory->secrets[kTenantB] = "tenant-b-secret";
    directory->secrets[kOperator] = "operator-api-secret";

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
    auto allowing = co_await make_service(settings, pg, lookups_of(directory));
    {
      std::lock_guard lock(directory->mutex);
      directory->urls[kTenantB] = "http://169.254.169.254/latest/meta-data/";
    }
    auto a2 = co_await allowing->emit(event(event_type::kIncomingPaymentCreated, kTenantA));
    CO_ASSERT_OK(a2);
    auto b2 = co_await allowing->emit(event(event_type::kIncomingPaymentCreated, kTenantB));
    CO_ASSERT_OK(b2);
    CO_ASSERT_OK(co_await pg.query(
        "UPDATE webhook_deliveries SET process_at = now() WHERE status = 'pending'"));
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

}  // namespace rafiki::backend::test::webhook_test
