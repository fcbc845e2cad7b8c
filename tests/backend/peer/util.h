// Helpers shared by the peer domain's tests: tenants and assets, the Admin API documents of the
// peer mutations and queries, peers created through the API, and waiting on the harness's
// io_context.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <functional>
#include <set>

#include <libpq-fe.h>

#include "backend/asset/service.h"
#include "backend/liquidity/service.h"
#include "backend/peer/service.h"
#include "backend/core/domains.h"
#include "net/router.h"
#include "net/server.h"
#include "backend/admin_harness.h"

namespace rafiki::backend::test::peer_test {

using namespace std::chrono_literals;

inline const char* kTenantA = "a1a1a1a1-0000-4000-8000-000000000001";

inline void add_tenant(AdminHarness& h, const char* id, const char* secret) {
  h.db().exec(std::string("INSERT INTO tenants (id, api_secret) VALUES ('") + id + "', '" + secret +
              "')");
}

inline AdminContext as_tenant(const char* id) {
  AdminContext c;
  c.tenant_id = *Uuid::parse(id);
  return c;
}

inline Uuid make_asset(AdminHarness& h, const std::string& tenant, const std::string& code,
                int scale = 2) {
  asset::CreateAsset in;
  in.tenant_id = *Uuid::parse(tenant);
  in.code = code;
  in.scale = scale;
  auto a = h.wait(h.backend().assets->create(in));
  if (!a) throw std::runtime_error("create asset failed");
  return a->id;
}

inline const std::string kPeerFields =
    "id staticIlpAddress routes name maxPacketAmount liquidityThreshold liquidity createdAt"
    " http { outgoing { authToken endpoint } } asset { id code scale liquidity tenant { id } }"
    " tenant { id }";

inline const std::string kCreate =
    "mutation($input: CreatePeerInput!) { createPeer(input: $input) { peer { " + kPeerFields +
    " } } }";
inline const std::string kUpdate =
    "mutation($input: UpdatePeerInput!) { updatePeer(input: $input) { peer { " + kPeerFields +
    " } } }";
inline const std::string kDelete =
    "mutation($input: DeletePeerInput!) { deletePeer(input: $input) { success } }";
inline const std::string kGet = "query($id: String!) { peer(id: $id) { " + kPeerFields + " } }";
inline const std::string kDeposit =
    "mutation($input: DepositPeerLiquidityInput!) { depositPeerLiquidity(input: $input) {"
    " success } }";
inline const std::string kWithdraw =
    "mutation($input: CreatePeerLiquidityWithdrawalInput!) {"
    " createPeerLiquidityWithdrawal(input: $input) { success } }";
inline const std::string kByAddress =
    "query($a: String!, $asset: String!) { peerByAddressAndAsset(staticIlpAddress: $a,"
    " assetId: $asset) { id staticIlpAddress } }";

inline json::object peer_input(const Uuid& asset, const std::string& address,
                        std::vector<std::string> tokens = {}) {
  json::array token_array;
  for (auto& t : tokens) token_array.emplace_back(t);
  return {{"assetId", asset.str()},
          {"staticIlpAddress", address},
          {"http",
           {{"incoming", {{"authTokens", token_array}}},
            {"outgoing",
             {{"authToken", "out-" + address}, {"endpoint", "http://peer.example:3002"}}}}}};
}

inline json::object create_peer(AdminHarness& h, json::object input,
                         std::optional<AdminContext> as = std::nullopt) {
  auto r = h.gql(kCreate, {{"input", std::move(input)}}, as);
  auto data = data_of(r, "createPeer");
  if (!data.is_object()) return {};
  return data.at("peer").as_object();
}

inline std::string peer_count(AdminHarness& h) { return h.db().query_value("SELECT count(*) FROM peers"); }

inline asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  co_await timer.async_wait(asio::use_awaitable);
}

// Runs the harness's io_context until `done` holds (checked every 10 ms) or 10 s passed.
inline bool eventually(AdminHarness& h, const std::function<bool()>& done) {
  for (int i = 0; i < 1000; ++i) {
    if (done()) return true;
    h.wait(sleep_for(10ms));
  }
  return done();
}
inline const std::string kByUrl =
    "mutation($input: CreateOrUpdatePeerByUrlInput!) { createOrUpdatePeerByUrl(input: $input) {"
    " peer { " + kPeerFields + " } } }";

}  // namespace rafiki::backend::test::peer_test
