// The Open Payments side of wallet addresses over real HTTP: the document and JWKS (validated
// against the wallet-address-server spec's schemas), forwarded hosts, SPSP, the instance
// identity, and the not-found webhook.
#include "backend/wallet_address/util.h"

namespace rafiki::backend::test::wallet_address_test {
namespace {

TEST(WalletAddressOpenPayments, DocumentAndJwksOverHttp) {
  AdminHarness h;
  OpServer s(h);
  use_server_origin(h, s);
  const std::string asset = add_asset(h, kOperatorTenantId, "EUR", 3);
  json::object input = create_input(asset, "Alice");
  input["publicName"] = "Alice";
  input["additionalProperties"] = json::array{
      json::object{{"key", "shown"}, {"value", "yes"}, {"visibleInOpenPayments", true}},
      json::object{{"key", "secret"}, {"value", "no"}, {"visibleInOpenPayments", false}}};
  auto w = create_ok(h, input);
  const std::string wa(w.at("id").as_string());

  auto r = s.request("/alice");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers.get("Content-Type").value_or(""), "application/json; charset=utf-8");
  auto doc = json::parse(r.body).as_object();
  expect_wallet_address_document(doc);
  EXPECT_EQ(doc.at("id").as_string(), s.base() + "/alice");
  EXPECT_EQ(doc.at("publicName").as_string(), "Alice");
  EXPECT_EQ(doc.at("assetCode").as_string(), "EUR");
  EXPECT_EQ(doc.at("assetScale").as_int64(), 3);
  EXPECT_EQ(doc.at("resourceServer").as_string(),
            std::string("https://op.example/") + kOperatorTenantId);
  EXPECT_EQ(doc.at("authServer").as_string(),
            std::string("http://127.0.0.1:3006/") + kOperatorTenantId);
  EXPECT_EQ(json::serialize(doc.at("additionalProperties")), R"({"shown":"yes"})");

  // Case, trailing slash and percent-encoding do not matter; Accept variants.
  EXPECT_EQ(s.request("/ALICE/").status, 200);
  EXPECT_EQ(s.request("/%61lice").status, 200);
  net::Headers any;
  any.set("Accept", "*/*");
  EXPECT_EQ(s.request("/alice", any).status, 200);
  net::Headers html;
  html.set("Accept", "text/html");
  auto refused = s.request("/alice", html);
  EXPECT_EQ(refused.status, 406);
  EXPECT_EQ(json::parse(refused.body).at("error").at("code").as_string(), "406");
  net::Headers origin;
  origin.set("Origin", "https://app.example");
  EXPECT_EQ(s.request("/alice", origin).headers.get("Access-Control-Allow-Origin").value_or(""),
            "*");
  EXPECT_EQ(s.request("/alice", {}, net::Method::kPost).status, 404);
  net::Headers preflight;
  preflight.set("Origin", "https://app.example");
  preflight.set("Access-Control-Request-Method", "GET");
  preflight.set("Access-Control-Request-Headers", "accept");
  auto options = s.request("/alice", preflight, net::Method::kOptions);
  EXPECT_EQ(options.status, 204);
  EXPECT_EQ(options.headers.get("Access-Control-Allow-Origin").value_or(""), "*");
  EXPECT_EQ(options.headers.get("Access-Control-Allow-Headers").value_or(""), "accept");
  EXPECT_EQ(s.request("/healthz").status, 200);  // other routes still win

  // JWKS: non-revoked keys only.
  auto empty = s.request("/alice/jwks.json");
  ASSERT_EQ(empty.status, 200);
  expect_jwks(json::parse(empty.body).as_object());
  EXPECT_EQ(empty.body, R"({"keys":[]})");
  const std::string x1 = fresh_x(), x2 = fresh_x();
  data_of(add_key(h, wa, "k1", x1), "createWalletAddressKey");
  auto k2 = data_of(add_key(h, wa, "k2", x2), "createWalletAddressKey");
  data_of(h.gql(kRevoke, {{"input", {{"id", k2.at("walletAddressKey").at("id")}}}}),
          "revokeWalletAddressKey");
  auto jwks = s.request("/alice/jwks.json");
  ASSERT_EQ(jwks.status, 200);
  auto keys = json::parse(jwks.body).as_object();
  expect_jwks(keys);
  ASSERT_EQ(keys.at("keys").as_array().size(), 1u);
  EXPECT_EQ(json::serialize(keys.at("keys").as_array()[0]),
            R"({"kid":"k1","x":")" + x1 + R"(","alg":"EdDSA","kty":"OKP","crv":"Ed25519"})");

  // Unknown and inactive addresses are 404 with the URL in the details.
  auto missing = s.request("/nobody");
  EXPECT_EQ(missing.status, 404);
  auto error = json::parse(missing.body).at("error").as_object();
  EXPECT_EQ(error.at("code").as_string(), "404");
  EXPECT_EQ(error.at("description").as_string(), "Could not get wallet address");
  EXPECT_EQ(error.at("details").at("walletAddressUrl").as_string(), s.base() + "/nobody");
  data_of(h.gql(kUpdate, {{"input", {{"id", wa}, {"status", "INACTIVE"}}}}), "updateWalletAddress");
  EXPECT_EQ(s.request("/alice").status, 404);
  EXPECT_EQ(s.request("/alice/jwks.json").status, 404);
}

TEST(WalletAddressOpenPayments, ForwardedHostOnlyWithTrustProxy) {
  AdminHarness h({false, {{"TRUST_PROXY", "true"}}});
  OpServer s(h);
  const std::string asset = add_asset(h, kOperatorTenantId);
  create_ok(h, create_input(asset, "https://op.example/bob"));
  net::Headers forwarded;
  forwarded.set("X-Forwarded-Host", "op.example");
  auto r = s.request("/bob", forwarded);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body).at("id").as_string(), "https://op.example/bob");
  EXPECT_EQ(s.request("/bob").status, 404);  // Host is 127.0.0.1:port

  AdminHarness plain;
  OpServer s2(plain);
  const std::string asset2 = add_asset(plain, kOperatorTenantId);
  create_ok(plain, create_input(asset2, "bob"));
  EXPECT_EQ(s2.request("/bob", forwarded).status, 404);  // the header is ignored
}

TEST(WalletAddressOpenPayments, SpspCredentialsTaggedWithTheWalletAddress) {
  AdminHarness h;
  OpServer s(h);
  use_server_origin(h, s);
  const std::string asset = add_asset(h, kOperatorTenantId, "XRP", 9);
  const std::string wa(create_ok(h, create_input(asset, "spsp")).at("id").as_string());
  net::Headers spsp;
  spsp.set("Accept", "application/spsp4+json, application/json");
  auto r = s.request("/spsp", spsp);
  ASSERT_EQ(r.status, 200) << r.body;
  auto parsed = ilp::spsp::parse_response(r.headers.get("Content-Type").value_or(""), r.body);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_TRUE(parsed->destination_account.starts_with("test.rafiki."));
  ilp::stream::ReceiverOptions bound;
  bound.bind_token_to_address = true;
  auto receiver = ilp::stream::Receiver::create(
      *encoding::base64_decode(h.backend().config.stream_secret), "test.rafiki", bound);
  ASSERT_TRUE(receiver);
  auto details = receiver->decode_destination(parsed->destination_account);
  ASSERT_TRUE(details);
  // The token is bound to the address it was issued under: a plain receiver cannot read it.
  auto unbound = ilp::stream::Receiver::create(
      *encoding::base64_decode(h.backend().config.stream_secret), "test.rafiki");
  ASSERT_TRUE(unbound);
  EXPECT_FALSE(unbound->decode_destination(parsed->destination_account));
  EXPECT_EQ(details->payment_tag.value_or(""), wa);
  ASSERT_TRUE(details->asset);
  EXPECT_EQ(details->asset->code, "XRP");
  EXPECT_EQ(details->asset->scale, 9);
  // Unknown and inactive: 404 without details.
  auto missing = s.request("/nobody", spsp);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body,
            R"({"error":{"code":"404","description":"Could not get wallet address"}})");
  data_of(h.gql(kUpdate, {{"input", {{"id", wa}, {"status", "INACTIVE"}}}}), "updateWalletAddress");
  EXPECT_EQ(s.request("/spsp", spsp).status, 404);
}

TEST(WalletAddressOpenPayments, InstanceIdentityPublishesOnlyItsKey) {
  auto key = crypto::Ed25519PrivateKey::generate();
  const std::string path = ::testing::TempDir() + "/wallet_address_instance_key.pem";
  std::ofstream(path) << key.to_pem();
  AdminHarness h({false,
                  {{"TRUST_PROXY", "true"},
                   {"WALLET_ADDRESS_URL", "https://wallet.example/.well-known/pay"},
                   {"PRIVATE_KEY_FILE", path},
                   {"KEY_ID", "instance-key"}}});
  OpServer s(h);
  net::Headers forwarded;
  forwarded.set("X-Forwarded-Host", "wallet.example");
  auto jwks = s.request("/.well-known/pay/jwks.json", forwarded);
  ASSERT_EQ(jwks.status, 200) << jwks.body;
  auto doc = json::parse(jwks.body).as_object();
  expect_jwks(doc);
  ASSERT_EQ(doc.at("keys").as_array().size(), 1u);
  auto published = crypto::jwk_from_json(doc.at("keys").as_array()[0]);
  ASSERT_TRUE(published);
  EXPECT_EQ(published->kid, "instance-key");
  EXPECT_EQ(published->key, key.public_key());
  EXPECT_EQ(s.request("/.well-known/pay", forwarded).status, 404);  // no document
  std::remove(path.c_str());
}

std::int64_t not_found_events(AdminHarness& h, const std::string& url) {
  return std::stoll(h.db().query_value(
      "SELECT count(*) FROM webhook_events WHERE type = 'wallet_address.not_found' AND "
      "data->>'walletAddressUrl' = '" +
      url + "'"));
}

TEST(WalletAddressOpenPayments, NotFoundEventOnlyWhenPollingOrForJwks) {
  AdminHarness h({false,
                  {{"WALLET_ADDRESS_LOOKUP_TIMEOUT_MS", "150"},
                   {"WALLET_ADDRESS_POLLING_FREQUENCY_MS", "50"}}});
  OpServer s(h);
  EXPECT_EQ(s.request("/ghost").status, 404);
  EXPECT_EQ(not_found_events(h, s.base() + "/ghost"), 0);  // polling disabled (the default)
  EXPECT_EQ(s.request("/ghost/jwks.json").status, 404);
  EXPECT_EQ(not_found_events(h, s.base() + "/ghost"), 1);  // JWKS always polls
  EXPECT_EQ(h.db().query_value(
                "SELECT tenant_id FROM webhook_events WHERE type = 'wallet_address.not_found'"),
            kOperatorTenantId);
}

TEST(WalletAddressOpenPayments, PollingFindsAnAddressCreatedMeanwhile) {
  AdminHarness h({false,
                  {{"WALLET_ADDRESS_NOT_FOUND_POLLING_ENABLED", "true"},
                   {"WALLET_ADDRESS_LOOKUP_TIMEOUT_MS", "3000"},
                   {"WALLET_ADDRESS_POLLING_FREQUENCY_MS", "50"}}});
  add_tenant(h, kTenantA, std::nullopt);
  OpServer s(h);
  // The tenant whose WALLET_ADDRESS_URL covers the URL receives the event.
  h.db().exec(std::string("INSERT INTO tenant_settings (id, tenant_id, key, value) VALUES ('") +
              Uuid::v4().str() + "', '" + kTenantA + "', 'WALLET_ADDRESS_URL', '" + s.base() +
              "/a')");
  const std::string asset = add_asset(h, kTenantA);
  auto result = h.wait([&]() -> asio::awaitable<std::pair<int, std::string>> {
    auto executor = co_await asio::this_coro::executor;
    // The ASE's reaction to the webhook: create the address a moment later.
    auto late = [&]() -> asio::awaitable<void> {
      asio::steady_timer timer(executor, 300ms);
      co_await timer.async_wait(asio::use_awaitable);
      json::object vars{{"input", create_input(asset, "late")}};
      co_await h.gql_async(kCreate, std::move(vars), as_tenant(kTenantA));
    };
    asio::co_spawn(executor, late(), asio::detached);
    net::HttpClient client(executor);
    auto r = co_await client.get("http://127.0.0.1:" + std::to_string(s.port) + "/a/late");
    if (!r) co_return std::pair<int, std::string>{-1, r.error().message};
    co_return std::pair<int, std::string>{r->status, r->body};
  }());
  EXPECT_EQ(result.first, 200) << result.second;
  EXPECT_EQ(not_found_events(h, s.base() + "/a/late"), 1);
  EXPECT_EQ(h.db().query_value(
                "SELECT tenant_id FROM webhook_events WHERE type = 'wallet_address.not_found'"),
            kTenantA);
}


}  // namespace
}  // namespace rafiki::backend::test::wallet_address_test
