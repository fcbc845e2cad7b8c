// Helpers shared by the wallet address domain's tests: tenants, assets, wallet addresses and
// keys made through the Admin API, the Open Payments listener on loopback, and the spec's
// expectations of a wallet address document and its JWKS.
#pragma once

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

namespace rafiki::backend::test::wallet_address_test {

using namespace std::chrono_literals;
using wallet_address::WalletAddressService;

inline const char* kTenantA = "a1a1a1a1-0000-4000-8000-000000000001";
inline const char* kTenantB = "b2b2b2b2-0000-4000-8000-000000000002";

inline void add_tenant(AdminHarness& h, const char* id, std::optional<std::string> wallet_address_url) {
  h.db().exec(std::string("INSERT INTO tenants (id, api_secret) VALUES ('") + id + "', 's-" + id +
              "')");
  if (wallet_address_url) {
    h.db().exec(std::string("INSERT INTO tenant_settings (id, tenant_id, key, value) VALUES ('") +
                Uuid::v4().str() + "', '" + id + "', 'WALLET_ADDRESS_URL', '" +
                *wallet_address_url + "')");
  }
}

inline AdminContext as_tenant(const char* id) {
  AdminContext c;
  c.tenant_id = *Uuid::parse(id);
  return c;
}

inline int next_ledger = 1;

// An asset row of `tenant` with its liquidity and settlement ledger accounts.
inline std::string add_asset(AdminHarness& h, const std::string& tenant, const std::string& code = "USD",
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

inline const std::string kCreate =
    "mutation($input: CreateWalletAddressInput!) { createWalletAddress(input: $input) {"
    " walletAddress { id address publicName status createdAt asset { id code scale }"
    " tenant { id } additionalProperties { key value visibleInOpenPayments } liquidity } } }";

inline json::object create_input(const std::string& asset, const std::string& address) {
  return {{"assetId", asset}, {"address", address}};
}

inline json::object create(AdminHarness& h, json::object input,
                    std::optional<AdminContext> as = std::nullopt) {
  return h.gql(kCreate, {{"input", std::move(input)}}, as);
}

// Creates and returns the wallet address node (fails the test on errors).
inline json::object create_ok(AdminHarness& h, json::object input,
                       std::optional<AdminContext> as = std::nullopt) {
  auto r = create(h, std::move(input), as);
  auto v = data_of(r, "createWalletAddress");
  if (!v.is_object()) return {};
  return v.at("walletAddress").as_object();
}

inline std::string fresh_x() {
  auto key = crypto::Ed25519PrivateKey::generate();
  const auto& raw = key.public_key().raw();
  return encoding::base64url_encode(ByteView(raw.data(), raw.size()));
}

inline const std::string kAddKey =
    "mutation($input: CreateWalletAddressKeyInput!) { createWalletAddressKey(input: $input) {"
    " walletAddressKey { id walletAddressId revoked createdAt jwk { kid x alg kty crv } } } }";

inline json::object add_key(AdminHarness& h, const std::string& wallet_address, const std::string& kid,
                     const std::string& x) {
  json::object jwk{{"kid", kid}, {"x", x}, {"alg", "EdDSA"}, {"kty", "OKP"}, {"crv", "Ed25519"}};
  return h.gql(kAddKey, {{"input", {{"walletAddressId", wallet_address}, {"jwk", jwk}}}});
}

inline const std::string kRevoke =
    "mutation($input: RevokeWalletAddressKeyInput!) { revokeWalletAddressKey(input: $input) {"
    " walletAddressKey { id revoked jwk { kid } } } }";

inline const std::string kUpdate =
    "mutation($input: UpdateWalletAddressInput!) { updateWalletAddress(input: $input) {"
    " walletAddress { id publicName status additionalProperties { key value visibleInOpenPayments "
    "} } } }";

// --- pure functions ---


inline void expect_wallet_address_document(const json::object& doc) {
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

inline void expect_jwks(const json::object& jwks) {
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
inline void use_server_origin(AdminHarness& h, const OpServer& s) {
  h.db().exec(std::string("INSERT INTO tenant_settings (id, tenant_id, key, value) VALUES ('") +
              Uuid::v4().str() + "', '" + kOperatorTenantId + "', 'WALLET_ADDRESS_URL', '" +
              s.base() + "')");
}


}  // namespace rafiki::backend::test::wallet_address_test
