// Tenant mutations through the Admin API, with a real loopback HTTP server standing in for the
// auth service's tenant API (it records every call and answers with a chosen status), the exact
// messages of refused outbound URL settings, and the lookup of a tenant by its WALLET_ADDRESS_URL.
#include <gtest/gtest.h>

#include "backend/admin_harness.h"
#include "backend/tenant/service.h"
#include "net/server.h"

namespace rafiki::backend::test {
namespace {

struct AuthCall {
  std::string method;
  std::string path;
  json::value body;
};

// The fake auth service's routes and what it saw.
struct TenantFixture {
  net::Handler record() {
    return [this](net::Request& request) -> asio::awaitable<net::Response> {
      AuthCall call;
      call.method = std::string(net::method_name(request.method));
      call.path = request.path;
      call.body = json::parse(request.body);
      calls.push_back(std::move(call));
      co_return net::Response::json(status, "{}");
    };
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }

  net::Router router;
  std::uint16_t port = 0;
  int status = 200;
  std::vector<AuthCall> calls;
};

class TenantMutations : public ::testing::Test {
 protected:
  void SetUp() override {
    harness = std::make_unique<AdminHarness>(AdminHarness::Options{false, {}});
    auth.router.add(net::Method::kPost, "/tenant", auth.record());
    auth.router.add(net::Method::kPatch, "/tenant/:id", auth.record());
    auth.router.add(net::Method::kDelete, "/tenant/:id", auth.record());
    auth_server = std::make_unique<net::HttpServer>(harness->io(), "auth api", auth.router.handler());
    auth.port = *auth_server->listen("127.0.0.1", 0);
    auth_server->start();
    harness->backend().config.auth_service_api_url = auth.url();
  }
  void TearDown() override { harness->wait(auth_server->shutdown()); }

  AdminHarness& h() { return *harness; }

  std::unique_ptr<AdminHarness> harness;
  TenantFixture auth;
  std::unique_ptr<net::HttpServer> auth_server;
};

const char* kCreate =
    "mutation($input: CreateTenantInput!) { createTenant(input: $input) { tenant { id email "
    "apiSecret idpConsentUrl idpSecret publicName settings { key value } } } }";

AdminContext as_tenant(const std::string& id) {
  AdminContext c;
  c.tenant_id = *Uuid::parse(id);
  return c;
}

std::map<std::string, std::string> settings_map(const json::value& tenant) {
  std::map<std::string, std::string> out;
  for (const auto& s : tenant.at("settings").as_array()) {
    out[std::string(s.at("key").as_string())] = std::string(s.at("value").as_string());
  }
  return out;
}

TEST_F(TenantMutations, CreateTenantStoresItWithDefaultSettingsAndTellsTheAuthService) {
  const std::string id = Uuid::v4().str();
  json::object input{{"id", id}, {"apiSecret", "s3cret"}, {"email", "a@example.com"},
                     {"idpConsentUrl", "https://idp.example/consent"}, {"idpSecret", "idp"}};
  auto tenant = data_of(h().gql(kCreate, {{"input", input}}), "createTenant").at("tenant");
  EXPECT_EQ(tenant.at("id").as_string(), id);
  EXPECT_EQ(tenant.at("apiSecret").as_string(), "s3cret");
  auto settings = settings_map(tenant);
  EXPECT_EQ(settings["WEBHOOK_TIMEOUT"], "2000");
  EXPECT_EQ(settings["WEBHOOK_MAX_RETRY"], "10");
  EXPECT_EQ(settings["ILP_ADDRESS"], "test.rafiki." + id);
  ASSERT_EQ(auth.calls.size(), 1u);
  EXPECT_EQ(auth.calls[0].method, "POST");
  EXPECT_EQ(auth.calls[0].path, "/tenant");
  EXPECT_EQ(auth.calls[0].body.at("id").as_string(), id);
  EXPECT_EQ(auth.calls[0].body.at("apiSecret").as_string(), "s3cret");
  EXPECT_EQ(auth.calls[0].body.at("idpConsentUrl").as_string(), "https://idp.example/consent");

  // The new tenant can read itself; it is not the operator.
  auto whoami = data_of(h().gql("{ whoami { isOperator } }", {}, as_tenant(id)), "whoami");
  EXPECT_FALSE(whoami.at("isOperator").as_bool());
  // The same id again is a duplicate; nothing more reaches the auth service.
  auto again = h().gql(kCreate, {{"input", input}});
  EXPECT_EQ(error_code(again), "DUPLICATE");
  EXPECT_EQ(auth.calls.size(), 1u);
}

TEST_F(TenantMutations, SettingsWithAnIlpAddressReplaceTheDefaults) {
  json::array with_ilp{json::object{{"key", "ILP_ADDRESS"}, {"value", "test.other"}}};
  auto t1 = data_of(h().gql(kCreate, {{"input", {{"apiSecret", "x"}, {"settings", with_ilp}}}}),
                    "createTenant").at("tenant");
  EXPECT_EQ(settings_map(t1), (std::map<std::string, std::string>{{"ILP_ADDRESS", "test.other"}}));
  json::array without{json::object{{"key", "WEBHOOK_URL"}, {"value", "https://hooks.example/x"}}};
  auto t2 = data_of(h().gql(kCreate, {{"input", {{"apiSecret", "y"}, {"settings", without}}}}),
                    "createTenant").at("tenant");
  auto s2 = settings_map(t2);
  EXPECT_EQ(s2["WEBHOOK_URL"], "https://hooks.example/x");
  EXPECT_EQ(s2["WEBHOOK_TIMEOUT"], "2000");
}

TEST_F(TenantMutations, BadCreateInputStoresNothing) {
  const std::string count = "SELECT count(*) FROM tenants";
  EXPECT_EQ(h().db().query_value(count), "1");
  EXPECT_EQ(error_message(h().gql(kCreate, {{"input", {{"id", "nope"}, {"apiSecret", "x"}}}})),
            "Invalid Tenant ID");
  for (auto [key, value] : std::vector<std::pair<const char*, const char*>>{
           {"WEBHOOK_URL", "not a url"}, {"WEBHOOK_TIMEOUT", "0"}, {"WEBHOOK_TIMEOUT", "abc"},
           {"WEBHOOK_MAX_RETRY", "-1"}, {"ILP_ADDRESS", "nope"}, {"EXCHANGE_RATES_URL", ""}}) {
    json::array settings{json::object{{"key", key}, {"value", value}}};
    auto r = h().gql(kCreate, {{"input", {{"apiSecret", "x"}, {"settings", settings}}}});
    EXPECT_EQ(error_code(r), "BAD_USER_INPUT") << key << "=" << value;
  }
  // Not the operator: refused.
  h().db().exec("INSERT INTO tenants (id, api_secret) VALUES ('a1a1a1a1-0000-4000-8000-000000000001', 's')");
  auto forbidden = h().gql(kCreate, {{"input", {{"apiSecret", "x"}}}},
                           as_tenant("a1a1a1a1-0000-4000-8000-000000000001"));
  EXPECT_EQ(error_code(forbidden), "FORBIDDEN");
  // The auth service refusing rolls the tenant back.
  auth.status = 500;
  auto refused = h().gql(kCreate, {{"input", {{"apiSecret", "x"}}}});
  EXPECT_EQ(error_code(refused), "INTERNAL_SERVER_ERROR");
  EXPECT_EQ(h().db().query_value(count), "2");
  EXPECT_EQ(h().db().query_value("SELECT count(*) FROM tenant_settings"), "0");
  EXPECT_TRUE(auth.calls.size() == 1u);
}

TEST_F(TenantMutations, UpdateTenantFollowsWhoMayChangeWhat) {
  const std::string id = Uuid::v4().str();
  data_of(h().gql(kCreate, {{"input", {{"id", id}, {"apiSecret", "one"}}}}), "createTenant");
  const char* update =
      "mutation($input: UpdateTenantInput!) { updateTenant(input: $input) { tenant { id apiSecret "
      "publicName email } } }";
  // The operator may not rotate a secret.
  EXPECT_EQ(error_message(h().gql(update, {{"input", {{"id", id}, {"apiSecret", "two"}}}})),
            "Operator cannot update apiSecret over admin api");
  // The tenant may, and the auth service hears of it.
  auto rotated = data_of(h().gql(update, {{"input", {{"id", id}, {"apiSecret", "two"}}}}, as_tenant(id)),
                         "updateTenant");
  EXPECT_EQ(rotated.at("tenant").at("apiSecret").as_string(), "two");
  ASSERT_EQ(auth.calls.size(), 2u);
  EXPECT_EQ(auth.calls[1].method, "PATCH");
  EXPECT_EQ(auth.calls[1].path, "/tenant/" + id);
  // A public name alone does not call the auth service; null clears, absent keeps.
  auto named = data_of(h().gql(update, {{"input", {{"id", id}, {"publicName", "Bank"}, {"email", "e@x"}}}}),
                       "updateTenant");
  EXPECT_EQ(named.at("tenant").at("publicName").as_string(), "Bank");
  EXPECT_EQ(auth.calls.size(), 2u);
  auto cleared = data_of(h().gql(update, {{"input", {{"id", id}, {"publicName", nullptr}}}}), "updateTenant");
  EXPECT_TRUE(cleared.at("tenant").at("publicName").is_null());
  EXPECT_EQ(cleared.at("tenant").at("email").as_string(), "e@x");
  // Another tenant cannot update it; unknown ids are not found.
  EXPECT_EQ(error_message(h().gql(update, {{"input", {{"id", id}, {"publicName", "x"}}}},
                                  as_tenant(Uuid::v4().str()))),
            "tenant does not exist");
  EXPECT_EQ(error_message(h().gql(update, {{"input", {{"id", Uuid::v4().str()}, {"publicName", "x"}}}})),
            "failed to update tenant");
  // The auth service failing leaves the secret as it was.
  auth.status = 503;
  EXPECT_EQ(error_code(h().gql(update, {{"input", {{"id", id}, {"apiSecret", "three"}}}}, as_tenant(id))),
            "NOT_FOUND");
  EXPECT_EQ(h().db().query_value("SELECT api_secret FROM tenants WHERE id = '" + id + "'"), "two");
}

TEST_F(TenantMutations, DeleteTenantIsOperatorOnlyAndSoft) {
  const std::string id = Uuid::v4().str();
  data_of(h().gql(kCreate, {{"input", {{"id", id}, {"apiSecret", "one"}}}}), "createTenant");
  const char* del = "mutation($id: String!) { deleteTenant(id: $id) { success } }";
  EXPECT_EQ(error_code(h().gql(del, {{"id", id}}, as_tenant(id))), "FORBIDDEN");
  EXPECT_EQ(error_code(h().gql(del, {{"id", kOperatorTenantId}})), "FORBIDDEN");
  EXPECT_TRUE(data_of(h().gql(del, {{"id", id}}), "deleteTenant").at("success").as_bool());
  EXPECT_EQ(auth.calls.back().method, "DELETE");
  EXPECT_TRUE(auth.calls.back().body.as_object().contains("deletedAt"));
  EXPECT_EQ(h().db().query_value("SELECT count(*) FROM tenant_settings WHERE tenant_id = '" + id +
                                 "' AND deleted_at IS NULL"),
            "0");
  // Deleted tenants cannot authenticate and cannot be deleted twice.
  auto creds = h().wait(h().backend().tenants->credentials(*Uuid::parse(id)));
  ASSERT_TRUE(creds);
  EXPECT_FALSE(creds->has_value());
  EXPECT_EQ(error_message(h().gql(del, {{"id", id}})), "failed to delete tenant");
}

TEST_F(TenantMutations, CreateTenantSettingsUpsertsForTheSigningTenant) {
  const char* m =
      "mutation($input: CreateTenantSettingsInput!) { createTenantSettings(input: $input) { settings "
      "{ key value } } }";
  json::array first{json::object{{"key", "WALLET_ADDRESS_URL"}, {"value", "https://wallet.example"}},
                    json::object{{"key", "WEBHOOK_MAX_RETRY"}, {"value", "3"}}};
  auto written = data_of(h().gql(m, {{"input", {{"settings", first}}}}), "createTenantSettings");
  EXPECT_EQ(written.at("settings").as_array().size(), 2u);
  json::array second{json::object{{"key", "WEBHOOK_MAX_RETRY"}, {"value", "5"}}};
  data_of(h().gql(m, {{"input", {{"settings", second}}}}), "createTenantSettings");
  EXPECT_EQ(h().db().query_value(std::string("SELECT value FROM tenant_settings WHERE tenant_id = '") +
                                 kOperatorTenantId + "' AND key = 'WEBHOOK_MAX_RETRY'"),
            "5");
  // Another tenant cannot take the same wallet address URL; one bad setting writes nothing.
  const std::string other = Uuid::v4().str();
  data_of(h().gql(kCreate, {{"input", {{"id", other}, {"apiSecret", "o"}}}}), "createTenant");
  auto dup = h().gql(m, {{"input", {{"settings", first}}}}, as_tenant(other));
  EXPECT_EQ(error_message(dup), "Wallet Address Url already exists");
  json::array mixed{json::object{{"key", "WEBHOOK_URL"}, {"value", "https://ok.example"}},
                    json::object{{"key", "WEBHOOK_TIMEOUT"}, {"value", "-5"}}};
  EXPECT_EQ(error_code(h().gql(m, {{"input", {{"settings", mixed}}}}, as_tenant(other))), "BAD_USER_INPUT");
  EXPECT_EQ(h().db().query_value("SELECT count(*) FROM tenant_settings WHERE tenant_id = '" + other +
                                 "' AND key = 'WEBHOOK_URL'"),
            "0");
  // An unknown key is refused by the schema's enum.
  json::array unknown{json::object{{"key", "NOPE"}, {"value", "1"}}};
  EXPECT_EQ(error_code(h().gql(m, {{"input", {{"settings", unknown}}}})), "BAD_USER_INPUT");
}

TEST_F(TenantMutations, TenantsOutboundUrlsAtForbiddenLiteralAddressesAreRefusedAndNothingStored) {
  const char* m =
      "mutation($input: CreateTenantSettingsInput!) { createTenantSettings(input: $input) {"
      " settings { key value } } }";
  const std::string other = Uuid::v4().str();
  data_of(h().gql(kCreate, {{"input", {{"id", other}, {"apiSecret", "o"}}}}), "createTenant");
  auto set = [&](const char* key, const char* value, std::optional<AdminContext> as) {
    json::array settings{json::object{{"key", key}, {"value", value}}};
    return h().gql(m, {{"input", {{"settings", settings}}}}, as);
  };
  auto stored = [&](const std::string& tenant) {
    return h().db().query_value(
        "SELECT count(*) FROM tenant_settings WHERE tenant_id = '" + tenant +
        "' AND key IN ('WEBHOOK_URL', 'EXCHANGE_RATES_URL') AND deleted_at IS NULL");
  };
  for (auto [key, value] : std::vector<std::pair<const char*, const char*>>{
           {"WEBHOOK_URL", "http://169.254.169.254/latest/meta-data"},
           {"EXCHANGE_RATES_URL", "http://[fe80::1]/rates"},
           {"WEBHOOK_URL", "http://[::ffff:169.254.169.254]/"},
           {"WEBHOOK_URL", "http://127.0.0.1:3030/webhooks"},
           {"EXCHANGE_RATES_URL", "http://192.168.1.10/rates"},
           {"WEBHOOK_URL", "http://0.0.0.0:3030/"}}) {
    auto r = set(key, value, as_tenant(other));
    EXPECT_EQ(error_code(r), "BAD_USER_INPUT") << key << "=" << value;
    EXPECT_NE(error_message(r).find("URL not allowed"), std::string::npos) << error_message(r);
  }
  EXPECT_EQ(stored(other), "0");
  auto link_local = set("WEBHOOK_URL", "http://169.254.169.254/", as_tenant(other));
  EXPECT_NE(error_message(link_local).find("link-local"), std::string::npos);
  // The operator creating a tenant with such a setting: refused too, no tenant made.
  const std::string count = "SELECT count(*) FROM tenants";
  const std::string before = h().db().query_value(count);
  json::array bad{json::object{{"key", "WEBHOOK_URL"}, {"value", "http://169.254.169.254/"}}};
  EXPECT_EQ(error_code(h().gql(kCreate, {{"input", {{"apiSecret", "z"}, {"settings", bad}}}})),
            "BAD_USER_INPUT");
  EXPECT_EQ(h().db().query_value(count), before);
  // Host names pass here (where they resolve is checked when connecting); the operator's own
  // settings may point anywhere.
  EXPECT_TRUE(data_of(set("WEBHOOK_URL", "http://localhost:3030/webhooks", as_tenant(other)),
                      "createTenantSettings")
                  .is_object());
  EXPECT_TRUE(data_of(set("EXCHANGE_RATES_URL", "http://127.0.0.1:3030/rates", std::nullopt),
                      "createTenantSettings")
                  .is_object());
  // TENANT_OUTBOUND_ALLOW_PRIVATE: loopback and private ranges allowed, link-local never.
  h().backend().outbound = OutboundPolicy(*Uuid::parse(kOperatorTenantId), true);
  EXPECT_TRUE(data_of(set("WEBHOOK_URL", "http://127.0.0.1:3030/webhooks", as_tenant(other)),
                      "createTenantSettings")
                  .is_object());
  EXPECT_EQ(error_code(set("EXCHANGE_RATES_URL", "http://169.254.169.254/", as_tenant(other))),
            "BAD_USER_INPUT");
}

// --- settings beyond the mutations: exact refusal messages, lookup by WALLET_ADDRESS_URL ---

const char* kTenant = "b2b2b2b2-0000-4000-8000-000000000002";

const char* kSetSettings =
    "mutation($input: CreateTenantSettingsInput!) { createTenantSettings(input: $input) {"
    " settings { key value } } }";

TEST(TenantSettings, ARefusedOutboundUrlIsAnsweredWithTheKeyAndThePolicysWords) {
  AdminHarness h;
  h.db().exec(std::string("INSERT INTO tenants (id, api_secret) VALUES ('") + kTenant + "', 's')");
  const OutboundPolicy& policy = h.backend().outbound;
  for (const char* key : {"WEBHOOK_URL", "EXCHANGE_RATES_URL"}) {
    for (const char* url : {"http://127.0.0.1:3030/", "http://192.168.1.10/",
                            "http://169.254.169.254/", "http://0.0.0.0:3030/"}) {
      auto refused = policy.check_url(*Uuid::parse(kTenant), url);
      ASSERT_FALSE(refused) << url;
      json::array settings{json::object{{"key", key}, {"value", url}}};
      auto r = h.gql(kSetSettings, {{"input", {{"settings", settings}}}}, as_tenant(kTenant));
      EXPECT_EQ(error_code(r), "BAD_USER_INPUT") << key << "=" << url;
      EXPECT_EQ(error_message(r), std::string(key) + ": " + refused.error().message);
    }
  }
}

TEST(TenantSettings, ATenantIsFoundByTheLongestWalletAddressUrlPrefix) {
  AdminHarness h;
  const std::string other = Uuid::v4().str();
  h.db().exec(std::string("INSERT INTO tenants (id, api_secret) VALUES ('") + kTenant +
              "', 's'), ('" + other + "', 't')");
  auto set = [&](const std::string& tenant, const char* url) {
    json::array settings{json::object{{"key", "WALLET_ADDRESS_URL"}, {"value", url}}};
    return data_of(h.gql(kSetSettings, {{"input", {{"settings", settings}}}}, as_tenant(tenant)),
                   "createTenantSettings");
  };
  set(kTenant, "https://wallet.example");
  set(other, "https://wallet.example/bank");
  auto& tenants = *h.backend().tenants;
  auto found = h.wait(tenants.tenant_of_wallet_address_url("https://wallet.example/bank/alice"));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->value_or(Uuid{}).str(), other);
  found = h.wait(tenants.tenant_of_wallet_address_url("https://wallet.example/carol"));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->value_or(Uuid{}).str(), kTenant);
  found = h.wait(tenants.tenant_of_wallet_address_url("https://elsewhere.example/carol"));
  ASSERT_TRUE(found);
  EXPECT_FALSE(found->has_value());
}

}  // namespace
}  // namespace rafiki::backend::test
