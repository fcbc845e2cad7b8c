// The wallet address domain: Admin API queries and mutations (with every error code and
// message), keys, tenancy, pagination, web monetization events and withdrawals; the Open
// Payments wallet address document and JWKS over real HTTP, validated against the
// wallet-address-server spec's schemas (copied below as our expectations); the not-found
// webhook; and the published-document cache staying correct across two backends.
#include <gtest/gtest.h>

#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fstream>
#include <regex>
#include <thread>

#include "backend/admin_harness.h"
#include "backend/asset/service.h"
#include "backend/liquidity/service.h"
#include "backend/wallet_address/routes.h"
#include "backend/wallet_address/service.h"
#include "backend/webhook/service.h"
#include "base/encoding.h"
#include "crypto/ed25519.h"
#include "ilp/stream/spsp.h"
#include "ilp/stream/receiver.h"
#include "ledger/ledger.h"
#include "net/client.h"
#include "net/server.h"

namespace rafiki::backend::test {
namespace {

using namespace std::chrono_literals;
using wallet_address::WalletAddressService;

const char* kTenantA = "a1a1a1a1-0000-4000-8000-000000000001";
const char* kTenantB = "b2b2b2b2-0000-4000-8000-000000000002";

void add_tenant(AdminHarness& h, const char* id, std::optional<std::string> wallet_address_url) {
  h.db().exec(std::string("INSERT INTO tenants (id, api_secret) VALUES ('") + id + "', 's-" + id +
              "')");
  if (wallet_address_url) {
    h.db().exec(std::string("INSERT INTO tenant_settings (id, tenant_id, key, value) VALUES ('") +
                Uuid::v4().str() + "', '" + id + "', 'WALLET_ADDRESS_URL', '" +
                *wallet_address_url + "')");
  }
}

AdminContext as_tenant(const char* id) {
  AdminContext c;
  c.tenant_id = *Uuid::parse(id);
  return c;
}

int next_ledger = 1;

// An asset row of `tenant` with its liquidity and settlement ledger accounts.
std::string add_asset(AdminHarness& h, const std::string& tenant, const std::string& code = "USD",
                      int scale = 2) {
  const Uuid id = Uuid::v4();
  const Uuid settlement = Uuid::v4();
  const int ledger = next_ledger++;
  h.db().exec(
      "INSERT INTO assets (id, code, scale, ledger, settlement_account_id, tenant_id) "
      "VALUES ('" +
      id.str() + "', '" + code + "', " + std::to_string(scale) + ", " + std::to_string(ledger) +
      ", '" + settlement.str() + "', '" + tenant + "')");
  ledger::Account liquidity;
  liquidity.id = id;
  liquidity.ledger = static_cast<std::uint32_t>(ledger);
  liquidity.code = liquidity::account_code::kAssetLiquidity;
  liquidity.flags = ledger::account_flags::kDebitsMustNotExceedCredits;
  ledger::Account settle;
  settle.id = settlement;
  settle.ledger = static_cast<std::uint32_t>(ledger);
  settle.code = liquidity::account_code::kSettlement;
  settle.flags = ledger::account_flags::kCreditsMustNotExceedDebits;
  auto accounts = std::vector<ledger::Account>{liquidity, settle};
  auto created = h.wait(h.backend().ledger.create_accounts(std::move(accounts)));
  if (!created) throw std::runtime_error(created.error().message);
  return id.str();
}

const std::string kCreate =
    "mutation($input: CreateWalletAddressInput!) { createWalletAddress(input: $input) {"
    " walletAddress { id address publicName status createdAt asset { id code scale }"
    " tenant { id } additionalProperties { key value visibleInOpenPayments } liquidity } } }";

json::object create_input(const std::string& asset, const std::string& address) {
  return {{"assetId", asset}, {"address", address}};
}

json::object create(AdminHarness& h, json::object input,
                    std::optional<AdminContext> as = std::nullopt) {
  return h.gql(kCreate, {{"input", std::move(input)}}, as);
}

// Creates and returns the wallet address node (fails the test on errors).
json::object create_ok(AdminHarness& h, json::object input,
                       std::optional<AdminContext> as = std::nullopt) {
  auto r = create(h, std::move(input), as);
  auto v = data_of(r, "createWalletAddress");
  if (!v.is_object()) return {};
  return v.at("walletAddress").as_object();
}

std::string fresh_x() {
  auto key = crypto::Ed25519PrivateKey::generate();
  const auto& raw = key.public_key().raw();
  return encoding::base64url_encode(ByteView(raw.data(), raw.size()));
}

const std::string kAddKey =
    "mutation($input: CreateWalletAddressKeyInput!) { createWalletAddressKey(input: $input) {"
    " walletAddressKey { id walletAddressId revoked createdAt jwk { kid x alg kty crv } } } }";

json::object add_key(AdminHarness& h, const std::string& wallet_address, const std::string& kid,
                     const std::string& x) {
  json::object jwk{{"kid", kid}, {"x", x}, {"alg", "EdDSA"}, {"kty", "OKP"}, {"crv", "Ed25519"}};
  return h.gql(kAddKey, {{"input", {{"walletAddressId", wallet_address}, {"jwk", jwk}}}});
}

const std::string kRevoke =
    "mutation($input: RevokeWalletAddressKeyInput!) { revokeWalletAddressKey(input: $input) {"
    " walletAddressKey { id revoked jwk { kid } } } }";

const std::string kUpdate =
    "mutation($input: UpdateWalletAddressInput!) { updateWalletAddress(input: $input) {"
    " walletAddress { id publicName status additionalProperties { key value visibleInOpenPayments "
    "} } } }";

// --- pure functions ---

TEST(WalletAddressUrl, ResolvesRelativeAndAbsoluteAddressesUnderTheBase) {
  using wallet_address::resolve_url;
  EXPECT_EQ(*resolve_url("https://wallet.example", "Alice"), "https://wallet.example/alice");
  EXPECT_EQ(*resolve_url("https://wallet.example/", "/accounts/Bob"),
            "https://wallet.example/accounts/bob");
  EXPECT_EQ(*resolve_url("https://wallet.example/pay", "carol"),
            "https://wallet.example/pay/carol");
  EXPECT_EQ(*resolve_url("https://wallet.example", "https://WALLET.example/dave/"),
            "https://wallet.example/dave");
  for (const char* bad : {"https://other.example/alice", "http://wallet.example/alice"}) {
    auto r = resolve_url("https://wallet.example", bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, wallet_address::kErrorInvalidUrl);
    EXPECT_EQ(r.error().message, "invalid url");
  }
  for (const char* bad : {"", "/", "alice/incoming-payments", "x/outgoing-payments/1", "quotes",
                          "a?b=1", "a#b", "a b", "a%20b", "a//b"}) {
    EXPECT_FALSE(resolve_url("https://wallet.example", bad)) << bad;
  }
  EXPECT_FALSE(resolve_url("http://wallet.example", "alice"));
  EXPECT_FALSE(resolve_url("https://wallet.example", std::string(3000, 'a')));
}

TEST(WalletAddressUrl, RequestUrlIsHttpsHostAndDecodedPathLowerCased) {
  using wallet_address::request_url;
  EXPECT_EQ(*request_url({"Wallet.example", "/Alice%20B/"}), "https://wallet.example/alice b");
  EXPECT_EQ(*request_url({"wallet.example:8443", "/alice"}), "https://wallet.example:8443/alice");
  EXPECT_EQ(*request_url({"wallet.example", "/"}), "https://wallet.example");
  EXPECT_FALSE(request_url({"", "/alice"}));
  EXPECT_FALSE(request_url({"wallet.example", "/bad%zz"}));
}

TEST(WalletAddressUrl, AcceptHeaderNegotiation) {
  using wallet_address::accepts_json;
  EXPECT_TRUE(accepts_json(std::nullopt));
  EXPECT_TRUE(accepts_json("application/json"));
  EXPECT_TRUE(accepts_json("text/html, application/json;q=0.9"));
  EXPECT_TRUE(accepts_json("*/*"));
  EXPECT_TRUE(accepts_json("application/*"));
  EXPECT_FALSE(accepts_json("text/html"));
  EXPECT_FALSE(accepts_json("application/json;q=0"));
  EXPECT_FALSE(accepts_json("application/xml, text/plain"));
}

TEST(WalletAddressUrl, AdditionalPropertiesAreTrimmedAndBlankOnesDropped) {
  auto cleaned = wallet_address::clean_properties(
      {{" a ", " 1 ", true}, {"", "x", true}, {"b", "  ", false}, {"c", "3", false}});
  ASSERT_EQ(cleaned.size(), 2u);
  EXPECT_EQ(cleaned[0].key, "a");
  EXPECT_EQ(cleaned[0].value, "1");
  EXPECT_TRUE(cleaned[0].visible_in_open_payments);
  EXPECT_EQ(cleaned[1].key, "c");
  EXPECT_FALSE(cleaned[1].visible_in_open_payments);
}

// --- Admin API ---

TEST(WalletAddressAdmin, OperatorCreatesUnderOpenPaymentsUrl) {
  AdminHarness h;
  const std::string asset = add_asset(h, kOperatorTenantId);
  json::object input = create_input(asset, "Alice");
  input["publicName"] = "Alice Smith";
  input["additionalProperties"] = json::array{
      json::object{{"key", " iban "}, {"value", " NL01 "}, {"visibleInOpenPayments", true}},
      json::object{{"key", "hidden"}, {"value", "x"}, {"visibleInOpenPayments", false}},
      json::object{{"key", "blank"}, {"value", " "}, {"visibleInOpenPayments", true}}};
  auto w = create_ok(h, input);
  ASSERT_FALSE(w.empty());
  EXPECT_EQ(w.at("address").as_string(), "https://op.example/alice");
  EXPECT_EQ(w.at("publicName").as_string(), "Alice Smith");
  EXPECT_EQ(w.at("status").as_string(), "ACTIVE");
  EXPECT_TRUE(w.at("createdAt").as_string().ends_with("Z"));
  EXPECT_EQ(w.at("asset").at("id").as_string(), asset);
  EXPECT_EQ(w.at("asset").at("code").as_string(), "USD");
  EXPECT_EQ(w.at("tenant").at("id").as_string(), kOperatorTenantId);
  EXPECT_TRUE(w.at("liquidity").is_null());  // no account until money arrives
  const auto& props = w.at("additionalProperties").as_array();
  ASSERT_EQ(props.size(), 2u);
  EXPECT_EQ(props[0].at("key").as_string(), "iban");
  EXPECT_EQ(props[0].at("value").as_string(), "NL01");
  EXPECT_EQ(props[1].at("visibleInOpenPayments").as_bool(), false);
}

TEST(WalletAddressAdmin, CreateErrors) {
  AdminHarness h;
  add_tenant(h, kTenantA, std::nullopt);
  add_tenant(h, kTenantB, "https://b.example/pay");
  const std::string asset = add_asset(h, kOperatorTenantId);
  const std::string asset_b = add_asset(h, kTenantB, "EUR");

  for (const char* bad : {"http://op.example/x", "https://elsewhere.example/x", "/",
                          "x/incoming-payments", "x/outgoing-payments", "x/quotes"}) {
    auto r = create(h, create_input(asset, bad));
    EXPECT_EQ(error_code(r), "BAD_USER_INPUT") << bad;
    EXPECT_EQ(error_message(r), "invalid url") << bad;
  }
  // Another tenant's asset, an unknown one, and a non-UUID.
  for (const std::string& a : {asset_b, Uuid::v4().str(), std::string("nope")}) {
    auto r = create(h, create_input(a, "bob"));
    EXPECT_EQ(error_code(r), "BAD_USER_INPUT");
    EXPECT_EQ(error_message(r), "unknown asset");
  }
  create_ok(h, create_input(asset, "bob"));
  auto dup = create(h, create_input(asset, "BOB"));
  EXPECT_EQ(error_code(dup), "DUPLICATE");
  EXPECT_EQ(error_message(dup), "Duplicate wallet address found with the same url");

  // A tenant without WALLET_ADDRESS_URL has no base.
  const std::string asset_a = add_asset(h, kTenantA);
  auto no_base = create(h, create_input(asset_a, "carol"), as_tenant(kTenantA));
  EXPECT_EQ(error_code(no_base), "NOT_FOUND");
  EXPECT_EQ(error_message(no_base), "Setting for wallet address has not been found.");

  // A tenant with one creates under it, relative or absolute; not for another tenant.
  auto rel = create_ok(h, create_input(asset_b, "dave"), as_tenant(kTenantB));
  EXPECT_EQ(rel.at("address").as_string(), "https://b.example/pay/dave");
  auto abs = create_ok(h, create_input(asset_b, "https://b.example/pay/Erin"), as_tenant(kTenantB));
  EXPECT_EQ(abs.at("address").as_string(), "https://b.example/pay/erin");
  auto outside =
      create(h, create_input(asset_b, "https://b.example/other/erin"), as_tenant(kTenantB));
  EXPECT_EQ(error_message(outside), "invalid url");
  json::object foreign = create_input(asset_b, "frank");
  foreign["tenantId"] = kTenantA;
  auto r = create(h, foreign, as_tenant(kTenantB));
  EXPECT_EQ(error_code(r), "BAD_USER_INPUT");
  EXPECT_EQ(error_message(r), "Assignment to the specified tenant is not permitted");
  // The operator may create for a tenant (then that tenant's base and assets apply).
  json::object for_b = create_input(asset_b, "gina");
  for_b["tenantId"] = kTenantB;
  auto gina = create_ok(h, for_b);
  EXPECT_EQ(gina.at("address").as_string(), "https://b.example/pay/gina");
  EXPECT_EQ(gina.at("tenant").at("id").as_string(), kTenantB);
  // Over-long input is refused with a clear message.
  json::object long_name = create_input(asset, "hugo");
  long_name["publicName"] = std::string(5000, 'n');
  EXPECT_EQ(error_code(create(h, long_name)), "BAD_USER_INPUT");
}

TEST(WalletAddressAdmin, QueriesAreTenantScoped) {
  AdminHarness h;
  add_tenant(h, kTenantA, "https://a.example");
  const std::string asset = add_asset(h, kOperatorTenantId);
  const std::string asset_a = add_asset(h, kTenantA);
  auto op = create_ok(h, create_input(asset, "op-one"));
  auto a = create_ok(h, create_input(asset_a, "a-one"), as_tenant(kTenantA));

  const std::string q = "query($id: String!) { walletAddress(id: $id) { id address } }";
  EXPECT_EQ(data_of(h.gql(q, {{"id", a.at("id")}}), "walletAddress").at("address").as_string(),
            "https://a.example/a-one");
  auto hidden = h.gql(q, {{"id", op.at("id")}}, as_tenant(kTenantA));
  EXPECT_EQ(error_code(hidden), "NOT_FOUND");
  EXPECT_EQ(error_message(hidden), "unknown wallet address");
  EXPECT_EQ(error_code(h.gql(q, {{"id", Uuid::v4().str()}})), "NOT_FOUND");
  EXPECT_EQ(error_code(h.gql(q, {{"id", "not-a-uuid"}})), "NOT_FOUND");

  const std::string by_url = "query($url: String!) { walletAddressByUrl(url: $url) { id } }";
  EXPECT_EQ(
      data_of(h.gql(by_url, {{"url", "HTTPS://OP.example/Op-One"}}), "walletAddressByUrl").at("id"),
      op.at("id"));
  EXPECT_TRUE(data_of(h.gql(by_url, {{"url", "https://op.example/nobody"}}), "walletAddressByUrl")
                  .is_null());
  EXPECT_TRUE(data_of(h.gql(by_url, {{"url", "https://op.example/op-one"}}, as_tenant(kTenantA)),
                      "walletAddressByUrl")
                  .is_null());

  const std::string list =
      "query($t: String) { walletAddresses(tenantId: $t) { edges { node { id } } } }";
  auto count = [&](json::object vars, std::optional<AdminContext> as) {
    return data_of(h.gql(list, std::move(vars), as), "walletAddresses")
        .at("edges")
        .as_array()
        .size();
  };
  EXPECT_EQ(count({}, std::nullopt), 2u);
  EXPECT_EQ(count({{"t", kTenantA}}, std::nullopt), 1u);
  EXPECT_EQ(count({}, as_tenant(kTenantA)), 1u);
  EXPECT_EQ(count({{"t", kOperatorTenantId}}, as_tenant(kTenantA)), 1u);  // argument ignored
}

TEST(WalletAddressAdmin, PagesForwardsAndBackwards) {
  AdminHarness h;
  const std::string asset = add_asset(h, kOperatorTenantId);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(std::string(
        create_ok(h, create_input(asset, "p" + std::to_string(i))).at("id").as_string()));
  }
  const std::string q =
      "query($first: Int, $after: String, $last: Int, $before: String, $order: SortOrder) {"
      " walletAddresses(first: $first, after: $after, last: $last, before: $before, sortOrder: "
      "$order) {"
      " edges { cursor node { id } } pageInfo { startCursor endCursor hasNextPage hasPreviousPage "
      "} } }";
  auto page = data_of(h.gql(q, {{"first", 2}, {"order", "ASC"}}), "walletAddresses");
  auto edges = page.at("edges").as_array();
  ASSERT_EQ(edges.size(), 2u);
  EXPECT_EQ(edges[0].at("node").at("id").as_string(), ids[0]);
  EXPECT_EQ(edges[1].at("cursor").as_string(), ids[1]);
  EXPECT_TRUE(page.at("pageInfo").at("hasNextPage").as_bool());
  EXPECT_FALSE(page.at("pageInfo").at("hasPreviousPage").as_bool());

  auto next =
      data_of(h.gql(q, {{"first", 2}, {"after", ids[1]}, {"order", "ASC"}}), "walletAddresses");
  EXPECT_EQ(next.at("edges").as_array()[0].at("node").at("id").as_string(), ids[2]);
  EXPECT_TRUE(next.at("pageInfo").at("hasPreviousPage").as_bool());

  auto back =
      data_of(h.gql(q, {{"last", 2}, {"before", ids[4]}, {"order", "ASC"}}), "walletAddresses");
  auto back_edges = back.at("edges").as_array();
  ASSERT_EQ(back_edges.size(), 2u);
  EXPECT_EQ(back_edges[0].at("node").at("id").as_string(), ids[2]);
  EXPECT_EQ(back_edges[1].at("node").at("id").as_string(), ids[3]);
  EXPECT_TRUE(back.at("pageInfo").at("hasNextPage").as_bool());

  // Default order: newest first.
  auto desc = data_of(h.gql(q, {{"first", 1}}), "walletAddresses");
  EXPECT_EQ(desc.at("edges").as_array()[0].at("node").at("id").as_string(), ids[4]);
  auto bad = h.gql(q, {{"last", 2}});
  EXPECT_EQ(error_message(bad), "Can't paginate backwards from the start.");
}

TEST(WalletAddressAdmin, UpdateKeepsClearsAndDeactivates) {
  AdminHarness h;
  add_tenant(h, kTenantA, "https://a.example");
  const std::string asset = add_asset(h, kOperatorTenantId);
  json::object input = create_input(asset, "upd");
  input["publicName"] = "Old";
  input["additionalProperties"] =
      json::array{json::object{{"key", "k"}, {"value", "v"}, {"visibleInOpenPayments", true}}};
  const std::string id(create_ok(h, input).at("id").as_string());

  // publicName absent: kept; status INACTIVE.
  auto r = data_of(h.gql(kUpdate, {{"input", {{"id", id}, {"status", "INACTIVE"}}}}),
                   "updateWalletAddress")
               .at("walletAddress");
  EXPECT_EQ(r.at("publicName").as_string(), "Old");
  EXPECT_EQ(r.at("status").as_string(), "INACTIVE");
  EXPECT_EQ(r.at("additionalProperties").as_array().size(), 1u);
  EXPECT_FALSE(
      h.db()
          .query_value("SELECT deactivated_at FROM wallet_addresses WHERE id = '" + id + "'")
          .empty());

  // New name, ACTIVE again, properties replaced (blank ones dropped).
  json::object set{{"id", id}, {"publicName", "New"}, {"status", "ACTIVE"}};
  set["additionalProperties"] =
      json::array{json::object{{"key", "a"}, {"value", "1"}, {"visibleInOpenPayments", false}},
                  json::object{{"key", " "}, {"value", "1"}, {"visibleInOpenPayments", false}}};
  r = data_of(h.gql(kUpdate, {{"input", set}}), "updateWalletAddress").at("walletAddress");
  EXPECT_EQ(r.at("publicName").as_string(), "New");
  EXPECT_EQ(r.at("status").as_string(), "ACTIVE");
  ASSERT_EQ(r.at("additionalProperties").as_array().size(), 1u);
  EXPECT_EQ(r.at("additionalProperties").as_array()[0].at("key").as_string(), "a");

  // Explicit null clears the name.
  r = data_of(h.gql(kUpdate, {{"input", {{"id", id}, {"publicName", nullptr}}}}),
              "updateWalletAddress")
          .at("walletAddress");
  EXPECT_TRUE(r.at("publicName").is_null());

  // Unknown, and another tenant's (even the operator's own from a tenant).
  for (auto [target, as] : {std::pair{Uuid::v4().str(), std::optional<AdminContext>()},
                            std::pair{id, std::optional<AdminContext>(as_tenant(kTenantA))}}) {
    auto e = h.gql(kUpdate, {{"input", {{"id", target}, {"publicName", "x"}}}}, as);
    EXPECT_EQ(error_code(e), "NOT_FOUND");
    EXPECT_EQ(error_message(e), "Unknown wallet address");
  }
}

TEST(WalletAddressAdmin, KeysAddRevokeAndList) {
  AdminHarness h;
  const std::string asset = add_asset(h, kOperatorTenantId);
  const std::string wa(create_ok(h, create_input(asset, "keyed")).at("id").as_string());
  const std::string x1 = fresh_x();
  auto k1 = data_of(add_key(h, wa, "key-1", x1), "createWalletAddressKey").at("walletAddressKey");
  EXPECT_EQ(k1.at("walletAddressId").as_string(), wa);
  EXPECT_FALSE(k1.at("revoked").as_bool());
  EXPECT_EQ(k1.at("jwk").at("x").as_string(), x1);
  EXPECT_EQ(k1.at("jwk").at("alg").as_string(), "EdDSA");
  EXPECT_EQ(k1.at("jwk").at("crv").as_string(), "Ed25519");

  auto dup = add_key(h, wa, "key-1", fresh_x());
  EXPECT_EQ(error_code(dup), "DUPLICATE");
  EXPECT_EQ(error_message(dup), "Key already exists");

  for (const std::string& bad_x :
       {std::string("not base64!"), std::string("AAAA"), std::string(""), x1 + "AAAA"}) {
    auto bad = add_key(h, wa, "key-bad", bad_x);
    EXPECT_EQ(error_code(bad), "BAD_USER_INPUT") << bad_x;
    EXPECT_TRUE(error_message(bad).starts_with("invalid JWK")) << error_message(bad);
  }
  auto unknown = add_key(h, Uuid::v4().str(), "key-9", fresh_x());
  EXPECT_EQ(error_code(unknown), "NOT_FOUND");
  EXPECT_EQ(error_message(unknown), "Unknown wallet address");

  const std::string key_id(k1.at("id").as_string());
  for (int i = 0; i < 2; ++i) {  // idempotent
    auto rev = data_of(h.gql(kRevoke, {{"input", {{"id", key_id}}}}), "revokeWalletAddressKey");
    EXPECT_TRUE(rev.at("walletAddressKey").at("revoked").as_bool());
  }
  auto missing = h.gql(kRevoke, {{"input", {{"id", Uuid::v4().str()}}}});
  EXPECT_EQ(error_code(missing), "NOT_FOUND");
  EXPECT_EQ(error_message(missing), "Wallet address key not found");

  // A revoked kid may be used again.
  data_of(add_key(h, wa, "key-1", fresh_x()), "createWalletAddressKey");
  const std::string q =
      "query($id: String!) { walletAddress(id: $id) { walletAddressKeys(sortOrder: ASC) {"
      " edges { node { id revoked jwk { kid } } } pageInfo { hasNextPage } } } }";
  auto keys = data_of(h.gql(q, {{"id", wa}}), "walletAddress")
                  .at("walletAddressKeys")
                  .at("edges")
                  .as_array();
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_TRUE(keys[0].at("node").at("revoked").as_bool());
  EXPECT_FALSE(keys[1].at("node").at("revoked").as_bool());
}

TEST(WalletAddressAdmin, CreateWithIdempotencyKeyRunsOnce) {
  AdminHarness h;
  const std::string asset = add_asset(h, kOperatorTenantId);
  json::object input = create_input(asset, "once");
  input["idempotencyKey"] = "create-once";
  auto first = create_ok(h, input);
  auto again = create_ok(h, input);
  EXPECT_EQ(first.at("id"), again.at("id"));
  EXPECT_EQ(h.db().query_value("SELECT count(*) FROM wallet_addresses"), "1");
  input["publicName"] = "changed";
  EXPECT_EQ(error_code(create(h, input)), "INTERNAL_SERVER_ERROR");  // same key, other arguments
}

// Credits `amount` to the wallet address's (web monetization) account, creating it.
void credit_wallet_address(AdminHarness& h, const std::string& wa, const std::string& asset_id,
                           money::u128 amount) {
  auto asset = h.wait(h.backend().assets->get(*Uuid::parse(asset_id)));
  ASSERT_TRUE(asset && *asset);
  ASSERT_TRUE(h.wait(h.backend().liquidity->create_account(
      *Uuid::parse(wa), (*asset)->ledger, liquidity::account_code::kWalletAddress)));
  auto deposited =
      h.wait(h.backend().liquidity->deposit(*Uuid::parse(wa), **asset, amount, Uuid::v4()));
  ASSERT_TRUE(deposited) << deposited.error().message;
}

TEST(WalletAddressAdmin, TriggerEventsEmitsWebMonetizationOncePerReceipt) {
  AdminHarness h;
  const std::string asset = add_asset(h, kOperatorTenantId);
  const std::string wa(create_ok(h, create_input(asset, "wm")).at("id").as_string());
  const std::string idle(create_ok(h, create_input(asset, "idle")).at("id").as_string());
  credit_wallet_address(h, wa, asset, 150);
  h.db().exec("UPDATE wallet_addresses SET process_at = now() - interval '1 second'");
  const std::string q =
      "mutation($input: TriggerWalletAddressEventsInput!) {"
      " triggerWalletAddressEvents(input: $input) { count } }";
  auto r = data_of(h.gql(q, {{"input", {{"limit", 10}}}}), "triggerWalletAddressEvents");
  EXPECT_EQ(r.at("count").as_int64(), 2);
  EXPECT_EQ(
      h.db().query_value("SELECT count(*) FROM wallet_addresses WHERE process_at IS NOT NULL"),
      "0");
  EXPECT_EQ(
      h.db().query_value(
          "SELECT count(*) FROM webhook_events WHERE type = 'wallet_address.web_monetization'"),
      "1");
  EXPECT_EQ(h.db().query_value("SELECT data->'walletAddress'->'receivedAmount' FROM webhook_events "
                               "WHERE type = 'wallet_address.web_monetization'"),
            R"({"value": "150", "assetCode": "USD", "assetScale": 2})");
  EXPECT_FALSE(h.db()
                   .query_value("SELECT data->'walletAddress'->>'createdAt' FROM webhook_events "
                                "WHERE type = 'wallet_address.web_monetization'")
                   .empty());
  // The withdrawal the ASE is expected to make.
  EXPECT_EQ(h.db().query_value("SELECT count(*) FROM webhook_events WHERE type = "
                               "'wallet_address.web_monetization' AND withdrawal_amount = 150"),
            "1");
  EXPECT_EQ(h.db().query_value("SELECT data->'walletAddress'->>'id' FROM webhook_events "
                               "WHERE type = 'wallet_address.web_monetization'"),
            wa);
  // Nothing due now; once due again with nothing new received, no second event.
  EXPECT_EQ(data_of(h.gql(q, {{"input", {{"limit", 10}}}}), "triggerWalletAddressEvents")
                .at("count")
                .as_int64(),
            0);
  h.db().exec("UPDATE wallet_addresses SET process_at = now() WHERE id = '" + wa + "'");
  EXPECT_EQ(data_of(h.gql(q, {{"input", {{"limit", 10}}}}), "triggerWalletAddressEvents")
                .at("count")
                .as_int64(),
            1);
  EXPECT_EQ(
      h.db().query_value(
          "SELECT count(*) FROM webhook_events WHERE type = 'wallet_address.web_monetization'"),
      "1");
  EXPECT_EQ(error_code(h.gql(q, {{"input", {{"limit", 0}}}})), "BAD_USER_INPUT");
  (void)idle;
}

TEST(WalletAddressAdmin, WithdrawalTakesTheWholeBalance) {
  AdminHarness h;
  add_tenant(h, kTenantA, "https://a.example");
  const std::string asset = add_asset(h, kOperatorTenantId);
  const std::string wa(create_ok(h, create_input(asset, "wd")).at("id").as_string());
  const std::string q =
      "mutation($input: CreateWalletAddressWithdrawalInput!) { "
      "createWalletAddressWithdrawal(input: $input) {"
      " withdrawal { id amount walletAddress { id liquidity } } } }";
  auto input = [&](const std::string& id, const std::string& wallet) {
    return json::object{{"input",
                         {{"walletAddressId", wallet},
                          {"id", id},
                          {"idempotencyKey", Uuid::v4().str()},
                          {"timeoutSeconds", "0"}}}};
  };
  auto no_account = h.gql(q, input(Uuid::v4().str(), wa));
  EXPECT_EQ(error_code(no_account), "INTERNAL_SERVER_ERROR");
  credit_wallet_address(h, wa, asset, 75);
  auto unknown = h.gql(q, input(Uuid::v4().str(), Uuid::v4().str()));
  EXPECT_EQ(error_code(unknown), "NOT_FOUND");
  EXPECT_EQ(error_message(unknown), "Unknown wallet address");
  auto foreign = h.gql(q, input(Uuid::v4().str(), wa), as_tenant(kTenantA));
  EXPECT_EQ(error_code(foreign), "NOT_FOUND");
  auto bad_id = h.gql(q, input("nope", wa));
  EXPECT_EQ(error_message(bad_id), "Invalid transfer id");

  const std::string transfer = Uuid::v4().str();
  auto ok =
      data_of(h.gql(q, input(transfer, wa)), "createWalletAddressWithdrawal").at("withdrawal");
  EXPECT_EQ(ok.at("id").as_string(), transfer);
  EXPECT_EQ(ok.at("amount").as_string(), "75");
  EXPECT_EQ(ok.at("walletAddress").at("liquidity").as_string(), "0");
  auto empty = h.gql(q, input(Uuid::v4().str(), wa));
  EXPECT_EQ(error_code(empty), "FORBIDDEN");
  EXPECT_EQ(error_message(empty), "Transfer amount is zero");

  // A two-phase withdrawal reserves the balance until posted.
  credit_wallet_address(h, wa, asset, 40);
  auto pending_input = input(Uuid::v4().str(), wa);
  pending_input["input"].as_object()["timeoutSeconds"] = "60";
  auto pending = data_of(h.gql(q, pending_input), "createWalletAddressWithdrawal").at("withdrawal");
  EXPECT_EQ(pending.at("amount").as_string(), "40");
  EXPECT_EQ(pending.at("walletAddress").at("liquidity").as_string(), "0");
  auto posted = h.wait(h.backend().liquidity->post_withdrawal(
      *Uuid::parse(std::string(pending.at("id").as_string()))));
  EXPECT_TRUE(posted);
}

// --- Open Payments over HTTP ---

// Required members and types of the spec's wallet-address and json-web-key-set schemas
// (wallet-address-server.yaml, Open Payments 1.3.0).
void expect_wallet_address_document(const json::object& doc) {
  const std::regex uri("^https?://[^\\s/]+(/[^\\s]*)?$");
  for (const char* member : {"id", "assetCode", "assetScale", "authServer", "resourceServer"}) {
    ASSERT_TRUE(doc.contains(member)) << member;
  }
  for (const char* member : {"id", "authServer", "resourceServer"}) {
    ASSERT_TRUE(doc.at(member).is_string()) << member;
    EXPECT_TRUE(std::regex_match(std::string(doc.at(member).as_string()), uri)) << member;
  }
  EXPECT_TRUE(doc.at("assetCode").is_string());
  ASSERT_TRUE(doc.at("assetScale").is_int64() || doc.at("assetScale").is_uint64());
  auto scale = doc.at("assetScale").to_number<std::int64_t>();
  EXPECT_GE(scale, 0);
  EXPECT_LE(scale, 255);
  if (doc.contains("publicName")) {
    EXPECT_TRUE(doc.at("publicName").is_string());
  }
  for (const auto& member : doc) EXPECT_FALSE(member.value().is_null()) << member.key();
}

void expect_jwks(const json::object& jwks) {
  ASSERT_EQ(jwks.size(), 1u);  // additionalProperties: false
  ASSERT_TRUE(jwks.at("keys").is_array());
  const std::regex x("^[a-zA-Z0-9-_]+$");
  for (const auto& key : jwks.at("keys").as_array()) {
    const auto& k = key.as_object();
    for (const char* member : {"kid", "alg", "kty", "crv", "x"}) {
      ASSERT_TRUE(k.contains(member) && k.at(member).is_string()) << member;
    }
    EXPECT_EQ(k.at("alg").as_string(), "EdDSA");
    EXPECT_EQ(k.at("kty").as_string(), "OKP");
    EXPECT_EQ(k.at("crv").as_string(), "Ed25519");
    EXPECT_TRUE(std::regex_match(std::string(k.at("x").as_string()), x));
  }
}

struct OpServer {
  explicit OpServer(AdminHarness& h) : harness(h) {
    router.get("/healthz", [](net::Request&) -> asio::awaitable<net::Response> {
      co_return net::Response::text(200, "OK");
    });
    router.fallback(wallet_address::document_handler(h.backend()));
    server = std::make_unique<net::HttpServer>(h.io(), "op test", router.handler());
    auto bound = server->listen("127.0.0.1", 0);
    if (!bound) throw std::runtime_error(bound.error().message);
    port = *bound;
    server->start();
  }
  ~OpServer() { harness.wait(server->shutdown()); }

  std::string base() const { return "https://127.0.0.1:" + std::to_string(port); }

  net::ClientResponse request(const std::string& path, net::Headers headers = {},
                              net::Method method = net::Method::kGet) {
    return harness.wait([&]() -> asio::awaitable<net::ClientResponse> {
      net::HttpClient client(harness.io().get_executor());
      net::ClientRequest req;
      req.method = method;
      req.url = "http://127.0.0.1:" + std::to_string(port) + path;
      req.headers = headers;
      auto r = co_await client.request(std::move(req));
      if (!r) throw std::runtime_error(r.error().message);
      co_return *r;
    }());
  }

  AdminHarness& harness;
  net::Router router;
  std::unique_ptr<net::HttpServer> server;
  std::uint16_t port = 0;
};

// The operator's wallet addresses live under the test server's own origin.
void use_server_origin(AdminHarness& h, const OpServer& s) {
  h.db().exec(std::string("INSERT INTO tenant_settings (id, tenant_id, key, value) VALUES ('") +
              Uuid::v4().str() + "', '" + kOperatorTenantId + "', 'WALLET_ADDRESS_URL', '" +
              s.base() + "')");
}

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

// --- the published-document cache ---

template <class Pred>
bool eventually(AdminHarness& h, Pred pred, std::chrono::milliseconds timeout = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    h.wait([&]() -> asio::awaitable<void> {
      asio::steady_timer timer(co_await asio::this_coro::executor, 20ms);
      co_await timer.async_wait(asio::use_awaitable);
    }());
  }
  return pred();
}

TEST(WalletAddressCache, ChangesFromAnotherBackendReachTheCache) {
  AdminHarness h;
  OpServer s(h);
  use_server_origin(h, s);
  const std::string asset = add_asset(h, kOperatorTenantId);
  json::object input = create_input(asset, "cached");
  input["publicName"] = "Before";
  const std::string wa(create_ok(h, input).at("id").as_string());
  auto& service = *h.backend().wallet_addresses;
  service.start(h.io().get_executor());
  ASSERT_TRUE(eventually(h, [&] { return service.cache_active(); }));

  auto name = [&] {
    auto r = s.request("/cached");
    if (r.status != 200) return std::string("status ") + std::to_string(r.status);
    auto doc = json::parse(r.body).as_object();
    return doc.contains("publicName") ? std::string(doc.at("publicName").as_string())
                                      : std::string("-");
  };
  EXPECT_EQ(name(), "Before");
  EXPECT_EQ(service.cache().size(), 1u);
  // Served from memory: a change that bypasses the service (no notification) is not seen...
  h.db().exec("UPDATE wallet_addresses SET public_name = 'Sneaky' WHERE id = '" + wa + "'");
  EXPECT_EQ(name(), "Before");

  // A lost listener connection drops the whole cache on reconnect (notifications may have been
  // missed meanwhile), so even that change shows then.
  h.db().exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = "
      "'rafiki_listener' AND datname = current_database()");
  EXPECT_TRUE(eventually(h, [&] { return name() == "Sneaky"; }));

  // ...but a change through a second backend on the same database is, once notified.
  store::PgConfig config;
  config.url = h.db().url();
  config.max_connections = 2;
  auto pool = store::PgPool::create(h.io().get_executor(), config);
  ASSERT_TRUE(pool);
  auto kv = store::make_key_value(h.io().get_executor(), "");
  ASSERT_TRUE(kv);
  Backend other(test_config(h.db().url()), h.io().get_executor(), *pool, *kv);
  install_domains(other, Mount{}, nullptr);
  wallet_address::WalletAddressPatch patch;
  patch.id = *Uuid::parse(wa);
  patch.tenant_id = *Uuid::parse(kOperatorTenantId);
  patch.public_name = std::optional<std::string>("After");
  ASSERT_TRUE(h.wait(other.wallet_addresses->update(patch)));
  EXPECT_TRUE(eventually(h, [&] { return name() == "After"; }));

  // Keys added elsewhere appear in the cached JWKS; deactivation elsewhere hides the document.
  ASSERT_TRUE(h.wait(other.wallet_addresses->add_key(
      *Uuid::parse(wa), *crypto::jwk_from_json(json::object{{"kid", "remote"},
                                                            {"x", fresh_x()},
                                                            {"alg", "EdDSA"},
                                                            {"kty", "OKP"},
                                                            {"crv", "Ed25519"}}))));
  EXPECT_TRUE(eventually(h, [&] {
    return s.request("/cached/jwks.json").body.find("\"remote\"") != std::string::npos;
  }));
  patch.public_name.reset();
  patch.active = false;
  ASSERT_TRUE(h.wait(other.wallet_addresses->update(patch)));
  EXPECT_TRUE(eventually(h, [&] { return s.request("/cached").status == 404; }));

  // Local changes are visible at once.
  patch.active = true;
  ASSERT_TRUE(h.wait(service.update(patch)));
  EXPECT_EQ(s.request("/cached").status, 200);
  service.stop();
}

TEST(WalletAddressCache, InsertIsDroppedWhenAnInvalidationRaced) {
  wallet_address::PublishedCache cache;
  auto entry = std::make_shared<wallet_address::Published>();
  auto before = cache.generation();
  cache.invalidate("https://x.example/a");
  cache.insert(before, "https://x.example/a", entry);
  EXPECT_EQ(cache.find("https://x.example/a"), nullptr);
  cache.insert(cache.generation(), "https://x.example/a", entry);
  EXPECT_NE(cache.find("https://x.example/a"), nullptr);
  cache.clear();
  EXPECT_EQ(cache.size(), 0u);
  for (std::size_t i = 0; i < wallet_address::kCacheEntriesMax + 5; ++i) {
    cache.insert(cache.generation(), "https://x.example/" + std::to_string(i), entry);
  }
  EXPECT_EQ(cache.size(), wallet_address::kCacheEntriesMax);
}

}  // namespace
}  // namespace rafiki::backend::test
