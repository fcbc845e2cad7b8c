// The peer domain through the Admin API (reference/admin-api.md §8, §9.2, §9.3): creating,
// reading, paging, updating and deleting peers with every error code and message, write-only
// incoming tokens, peer liquidity, tenant scoping, and the routing table and token index the
// connector uses — including a change made by a second backend on the same database reaching the
// first one's cache through LISTEN/NOTIFY.
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

namespace rafiki::backend::test {
namespace {

using namespace std::chrono_literals;

const char* kTenantA = "a1a1a1a1-0000-4000-8000-000000000001";

void add_tenant(AdminHarness& h, const char* id, const char* secret) {
  h.db().exec(std::string("INSERT INTO tenants (id, api_secret) VALUES ('") + id + "', '" + secret +
              "')");
}

AdminContext as_tenant(const char* id) {
  AdminContext c;
  c.tenant_id = *Uuid::parse(id);
  return c;
}

Uuid make_asset(AdminHarness& h, const std::string& tenant, const std::string& code,
                int scale = 2) {
  asset::CreateAsset in;
  in.tenant_id = *Uuid::parse(tenant);
  in.code = code;
  in.scale = scale;
  auto a = h.wait(h.backend().assets->create(in));
  if (!a) throw std::runtime_error("create asset failed");
  return a->id;
}

const std::string kPeerFields =
    "id staticIlpAddress routes name maxPacketAmount liquidityThreshold liquidity createdAt"
    " http { outgoing { authToken endpoint } } asset { id code scale liquidity tenant { id } }"
    " tenant { id }";

const std::string kCreate =
    "mutation($input: CreatePeerInput!) { createPeer(input: $input) { peer { " + kPeerFields +
    " } } }";
const std::string kUpdate =
    "mutation($input: UpdatePeerInput!) { updatePeer(input: $input) { peer { " + kPeerFields +
    " } } }";
const std::string kDelete =
    "mutation($input: DeletePeerInput!) { deletePeer(input: $input) { success } }";
const std::string kGet = "query($id: String!) { peer(id: $id) { " + kPeerFields + " } }";
const std::string kDeposit =
    "mutation($input: DepositPeerLiquidityInput!) { depositPeerLiquidity(input: $input) {"
    " success } }";
const std::string kWithdraw =
    "mutation($input: CreatePeerLiquidityWithdrawalInput!) {"
    " createPeerLiquidityWithdrawal(input: $input) { success } }";
const std::string kByAddress =
    "query($a: String!, $asset: String!) { peerByAddressAndAsset(staticIlpAddress: $a,"
    " assetId: $asset) { id staticIlpAddress } }";

json::object peer_input(const Uuid& asset, const std::string& address,
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

json::object create_peer(AdminHarness& h, json::object input,
                         std::optional<AdminContext> as = std::nullopt) {
  auto r = h.gql(kCreate, {{"input", std::move(input)}}, as);
  auto data = data_of(r, "createPeer");
  if (!data.is_object()) return {};
  return data.at("peer").as_object();
}

std::string peer_count(AdminHarness& h) { return h.db().query_value("SELECT count(*) FROM peers"); }

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  co_await timer.async_wait(asio::use_awaitable);
}

// Runs the harness's io_context until `done` holds (checked every 10 ms) or 10 s passed.
bool eventually(AdminHarness& h, const std::function<bool()>& done) {
  for (int i = 0; i < 1000; ++i) {
    if (done()) return true;
    h.wait(sleep_for(10ms));
  }
  return done();
}

// --- createPeer / peer ------------------------------------------------------------------------

TEST(PeerCreate, StoresEveryFieldAndNeverReturnsIncomingTokens) {
  AdminHarness h;
  Uuid usd = make_asset(h, kOperatorTenantId, "USD");
  json::object input = peer_input(usd, "test.peer-a", {"secret-in-1", "secret-in-2"});
  input["routes"] = json::array{"test.peer-a-sub", "g.other"};
  input["name"] = "Peer A";
  input["maxPacketAmount"] = "1000";
  input["liquidityThreshold"] = "50";
  auto response = h.gql(kCreate, {{"input", input}});
  auto peer = data_of(response, "createPeer").at("peer").as_object();
  EXPECT_EQ(peer.at("staticIlpAddress").as_string(), "test.peer-a");
  EXPECT_EQ(json::serialize(peer.at("routes")), R"(["test.peer-a","test.peer-a-sub","g.other"])");
  EXPECT_EQ(peer.at("name").as_string(), "Peer A");
  EXPECT_EQ(peer.at("maxPacketAmount").as_string(), "1000");
  EXPECT_EQ(peer.at("liquidityThreshold").as_string(), "50");
  EXPECT_EQ(peer.at("liquidity").as_string(), "0");
  EXPECT_EQ(peer.at("http").at("outgoing").at("authToken").as_string(), "out-test.peer-a");
  EXPECT_EQ(peer.at("http").at("outgoing").at("endpoint").as_string(),
            "http://peer.example:3002");
  EXPECT_EQ(peer.at("asset").at("id").as_string(), usd.str());
  EXPECT_EQ(peer.at("asset").at("code").as_string(), "USD");
  EXPECT_EQ(peer.at("tenant").at("id").as_string(), kOperatorTenantId);
  EXPECT_FALSE(peer.at("createdAt").as_string().empty());
  EXPECT_EQ(json::serialize(response).find("secret-in"), std::string::npos);

  std::string id(peer.at("id").as_string());
  auto read = h.gql(kGet, {{"id", id}});
  EXPECT_EQ(json::serialize(data_of(read, "peer")), json::serialize(peer));
  EXPECT_EQ(json::serialize(read).find("secret-in"), std::string::npos);
  // The tokens are kept as digests only; the peer's liquidity account exists with code 3.
  EXPECT_EQ(h.db().query_value("SELECT count(*) FROM peer_incoming_tokens WHERE peer_id = '" + id +
                               "' AND token_sha256 NOT LIKE '%secret%'"),
            "2");
  EXPECT_EQ(h.db().query_value("SELECT code || '/' || flags FROM ledger_accounts WHERE id = '" +
                               id + "'"),
            "3/2");
  // The token index finds the peer by either token, and nothing by an unknown one.
  auto by_token = h.wait(h.backend().peers->by_incoming_token("secret-in-2"));
  ASSERT_TRUE(by_token && *by_token);
  EXPECT_EQ((*by_token)->id.str(), id);
  auto none = h.wait(h.backend().peers->by_incoming_token("secret-in-3"));
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

TEST(PeerCreate, OptionalFieldsMayBeOmitted) {
  AdminHarness h;
  Uuid usd = make_asset(h, kOperatorTenantId, "USD");
  json::object input = {{"assetId", usd.str()},
                        {"staticIlpAddress", "test.bare"},
                        {"http", {{"outgoing", {{"authToken", "t"}, {"endpoint", "https://p.example/ilp"}}}}}};
  auto peer = create_peer(h, input);
  EXPECT_TRUE(peer.at("name").is_null());
  EXPECT_TRUE(peer.at("maxPacketAmount").is_null());
  EXPECT_TRUE(peer.at("liquidityThreshold").is_null());
  EXPECT_EQ(json::serialize(peer.at("routes")), R"(["test.bare"])");
}

TEST(PeerCreate, InitialLiquidityIsDeposited) {
  AdminHarness h;
  Uuid usd = make_asset(h, kOperatorTenantId, "USD");
  json::object input = peer_input(usd, "test.rich");
  input["initialLiquidity"] = "12345";
  auto peer = create_peer(h, input);
  EXPECT_EQ(peer.at("liquidity").as_string(), "12345");
}

TEST(PeerCreate, FailedInitialDepositLeavesNoPeer) {
  AdminHarness h;
  Uuid usd = make_asset(h, kOperatorTenantId, "USD");
  // Without its settlement account the asset cannot fund anything.
  h.db().exec("DELETE FROM ledger_accounts WHERE id = (SELECT settlement_account_id FROM assets"
              " WHERE id = '" + usd.str() + "')");
  json::object input = peer_input(usd, "test.poor", {"poor-token"});
  input["initialLiquidity"] = "10";
  auto r = h.gql(kCreate, {{"input", input}});
  EXPECT_EQ(error_code(r), "BAD_USER_INPUT");
  EXPECT_EQ(error_message(r), "invalid initial liquidity for peer");
  EXPECT_EQ(peer_count(h), "0");
  EXPECT_EQ(h.db().query_value("SELECT count(*) FROM peer_incoming_tokens"), "0");
  // Without initial liquidity the same peer can be created.
  input.erase("initialLiquidity");
  EXPECT_FALSE(h.gql(kCreate, {{"input", input}}).contains("errors"));
}

TEST(PeerCreate, RefusesInvalidIlpAddresses) {
  AdminHarness h;
  Uuid usd = make_asset(h, kOperatorTenantId, "USD");
  for (std::string bad : {"", "test", "test.", "foo.bar", "test. x", "test.a b", " test.a",
                          "test..a", ".test.a", "test.a!"}) {
    auto r = h.gql(kCreate, {{"input", peer_input(usd, bad)}});
    EXPECT_EQ(error_code(r), "BAD_USER_INPUT") << "address '" << bad << "'";
    EXPECT_EQ(error_message(r), "invalid ILP address") << "address '" << bad << "'";
    // A bad route is refused the same way (a bare scheme is a valid default route).
    if (bad == "test") continue;
    json::object with_route = peer_input(usd, "test.good");
    with_route["routes"] = json::array{json::value(bad)};
    auto rr = h.gql(kCreate, {{"input", with_route}});
    EXPECT_EQ(error_code(rr), "BAD_USER_INPUT") << "route '" << bad << "'";
    EXPECT_EQ(error_message(rr), "invalid ILP address");
  }
  EXPECT_EQ(peer_count(h), "0");
  EXPECT_EQ(h.db().query_value("SELECT count(*) FROM ledger_accounts WHERE code = 3"), "0");
}

TEST(PeerCreate, RefusesInvalidEndpoints) {
  AdminHarness h;
  Uuid usd = make_asset(h, kOperatorTenantId, "USD");
  for (std::string bad :
       {"", "127.0.0.1:3002", "ftp://peer.example", "http://", "https://", "http://a..b",
        "http://.a", "http://a.", "http://peer.example:99999", "http://peer.example:0",
        "http://peer.example:x", "http://pe er.example", "http://peer.example/a b", "http:/x",
        "http://[zz]/", "http://user@/", "not a url"}) {
    json::object input = peer_input(usd, "test.peer");
    input["http"].as_object()["outgoing"].as_object()["endpoint"] = bad;
    auto r = h.gql(kCreate, {{"input", input}});
    EXPECT_EQ(error_code(r), "BAD_USER_INPUT") << "endpoint '" << bad << "'";
    EXPECT_EQ(error_message(r), "invalid HTTP endpoint") << "endpoint '" << bad << "'";
  }
  int n = 0;
  for (std::string good : {"http://127.0.0.1:3002", "https://peer.example/ilp?x=1",
                           "HTTP://[::1]:80/", "http://peer-b.example:8080",
                           "https://user:pw@peer.example"}) {
    json::object input = peer_input(usd, "test.peer" + std::to_string(n++));
    input["http"].as_object()["outgoing"].as_object()["endpoint"] = good;
    auto r = h.gql(kCreate, {{"input", input}});
    EXPECT_FALSE(r.contains("errors")) << good << ": " << json::serialize(r);
  }
}

TEST(PeerCreate, UnknownOrForeignAssetIsNotFound) {
  AdminHarness h;
  add_tenant(h, kTenantA, "secret-a");
  Uuid op_asset = make_asset(h, kOperatorTenantId, "USD");
  Uuid a_asset = make_asset(h, kTenantA, "EUR");
  for (const std::string& asset : {Uuid::v4().str(), std::string("not-a-uuid")}) {
    json::object input = peer_input(op_asset, "test.x");
    input["assetId"] = asset;
    auto r = h.gql(kCreate, {{"input", input}});
    EXPECT_EQ(error_code(r), "NOT_FOUND");
    EXPECT_EQ(error_message(r), "unknown asset");
  }
  // A tenant may not use another tenant's asset (upstream accepts any asset id here).
  auto foreign = h.gql(kCreate, {{"input", peer_input(op_asset, "test.x")}}, as_tenant(kTenantA));
  EXPECT_EQ(error_code(foreign), "NOT_FOUND");
  EXPECT_EQ(error_message(foreign), "unknown asset");
  // Its own asset: the peer is the tenant's.
  auto own = create_peer(h, peer_input(a_asset, "test.x"), as_tenant(kTenantA));
  EXPECT_EQ(own.at("tenant").at("id").as_string(), kTenantA);
  // The operator may use any tenant's asset; the peer belongs to the asset's tenant.
  auto by_operator = create_peer(h, peer_input(a_asset, "test.y"));
  EXPECT_EQ(by_operator.at("tenant").at("id").as_string(), kTenantA);
  EXPECT_EQ(peer_count(h), "2");
}

TEST(PeerCreate, DuplicateAddressForTheSameAssetIsRefused) {
  AdminHarness h;
  Uuid usd = make_asset(h, kOperatorTenantId, "USD");
  Uuid eur = make_asset(h, kOperatorTenantId, "EUR");
  create_peer(h, peer_input(usd, "test.dup"));
  auto again = h.gql(kCreate, {{"input", peer_input(usd, "test.dup")}});
  EXPECT_EQ(error_code(again), "DUPLICATE");
  EXPECT_EQ(error_message(again), "duplicate peer found for same ILP address and asset");
  // The same address for another asset is another peer.
  create_peer(h, peer_input(eur, "test.dup"));
  EXPECT_EQ(peer_count(h), "2");
  EXPECT_EQ(h.db().query_value("SELECT count(*) FROM ledger_accounts WHERE code = 3"), "2");
}

TEST(PeerCreate, IncomingTokensAreUniqueAcrossTheInstance) {
  AdminHarness h;
  add_tenant(h, kTenantA, "secret-a");
  Uuid usd = make_asset(h, kOperatorTenantId, "USD");
  Uuid a_usd = make_asset(h, kTenantA, "USD");
  create_peer(h, peer_input(usd, "test.one", {"tok-1"}));
  // Taken by another peer, even of another tenant.
  auto taken = h.gql(kCreate, {{"input", peer_input(a_usd, "test.two", {"tok-2", "tok-1"})}},
                     as_tenant(kTenantA));
  EXPECT_EQ(error_code(taken), "DUPLICATE");
  EXPECT_EQ(error_message(taken), "duplicate incoming token");
  // Named twice in one request.
  auto twice = h.gql(kCreate, {{"input", peer_input(usd, "test.three", {"tok-3", "tok-3"})}});
  EXPECT_EQ(error_code(twice), "DUPLICATE");
  EXPECT_EQ(error_message(twice), "duplicate incoming token");
  // Nothing of the refused peers remains, ledger accounts included.
  EXPECT_EQ(peer_count(h), "1");
  EXPECT_EQ(h.db().query_value("SELECT count(*) FROM peer_incoming_tokens"), "1");
  EXPECT_EQ(h.db().query_value("SELECT count(*) FROM ledger_accounts WHERE code = 3"), "1");
}

TEST(PeerCreate, IdempotencyKeyCreatesOnce) {
  AdminHarness h;
  Uuid usd = make_asset(h, kOperatorTenantId, "USD");
  json::object input = peer_input(usd, "test.idem", {"tok"});
  input["idempotencyKey"] = "create-peer-1";
  input["initialLiquidity"] = "10";
  auto first = create_peer(h, input);
  auto second = create_peer(h, input);
  EXPECT_EQ(first.at("id"), second.at("id"));
  EXPECT_EQ(peer_count(h), "1");
  EXPECT_EQ(second.at("liquidity").as_string(), "10");
}

TEST(PeerQuery, PeerIsTenantScoped) {
  AdminHarness h;
  add_tenant(h, kTenantA, "secret-a");
  Uuid usd = make_asset(h, kOperatorTenantId, "USD");
  Uuid a_usd = make_asset(h, kTenantA, "USD");
  auto op_peer = create_peer(h, peer_input(usd, "test.op"));
  auto a_peer = create_peer(h, peer_input(a_usd, "test.a"), as_tenant(kTenantA));
  // The operator reads any peer; a tenant only its own.
  EXPECT_EQ(data_of(h.gql(kGet, {{"id", a_peer.at("id")}}), "peer").at("id"), a_peer.at("id"));
  EXPECT_EQ(data_of(h.gql(kGet, {{"id", a_peer.at("id")}}, as_tenant(kTenantA)), "peer").at("id"),
            a_peer.at("id"));
  auto foreign = h.gql(kGet, {{"id", op_peer.at("id")}}, as_tenant(kTenantA));
  EXPECT_EQ(error_code(foreign), "NOT_FOUND");
  EXPECT_EQ(error_message(foreign), "unknown peer");
  for (const std::string& id : {Uuid::v4().str(), std::string("nope")}) {
    auto r = h.gql(kGet, {{"id", id}});
    EXPECT_EQ(error_code(r), "NOT_FOUND");
    EXPECT_EQ(error_message(r), "unknown peer");
  }
}

TEST(PeerQuery, PeersPageForwardsAndBackwardsWithinTheTenantScope) {
  AdminHarness h;
  add_tenant(h, kTenantA, "secret-a");
  Uuid usd = make_asset(h, kOperatorTenantId, "USD");
  Uuid a_usd = make_asset(h, kTenantA, "USD");
  std::vector<std::string> op_ids;
  for (int i = 0; i < 5; ++i) {
    auto p = create_peer(h, peer_input(usd, "test.p" + std::to_string(i)));
    op_ids.emplace_back(p.at("id").as_string());
    // Distinct creation times, so the order is the creation order.
    h.db().exec("UPDATE peers SET created_at = now() + interval '" + std::to_string(i) +
                " second' WHERE id = '" + op_ids.back() + "'");
  }
  auto a_peer = create_peer(h, peer_input(a_usd, "test.a"), as_tenant(kTenantA));
  h.db().exec("UPDATE peers SET created_at = now() + interval '1 hour' WHERE id = '" +
              std::string(a_peer.at("id").as_string()) + "'");

  const std::string q =
      "query($first: Int, $after: String, $last: Int, $before: String, $order: SortOrder,"
      " $tenant: ID) { peers(first: $first, after: $after, last: $last, before: $before,"
      " sortOrder: $order, tenantId: $tenant) { edges { cursor node { id } }"
      " pageInfo { startCursor endCursor hasNextPage hasPreviousPage } } }";
  auto ids_of = [](const json::value& connection) {
    std::vector<std::string> out;
    for (const auto& e : connection.at("edges").as_array()) {
      EXPECT_EQ(e.at("cursor"), e.at("node").at("id"));
      out.emplace_back(e.at("node").at("id").as_string());
    }
    return out;
  };
  // The operator, filtered to its own tenant, ascending: 0 1 | 2 3 | 4.
  json::object vars = {{"first", 2}, {"order", "ASC"}, {"tenant", kOperatorTenantId}};
  auto page = data_of(h.gql(q, vars), "peers");
  EXPECT_EQ(ids_of(page), (std::vector<std::string>{op_ids[0], op_ids[1]}));
  EXPECT_FALSE(page.at("pageInfo").at("hasPreviousPage").as_bool());
  EXPECT_TRUE(page.at("pageInfo").at("hasNextPage").as_bool());
  vars["after"] = page.at("pageInfo").at("endCursor");
  page = data_of(h.gql(q, vars), "peers");
  EXPECT_EQ(ids_of(page), (std::vector<std::string>{op_ids[2], op_ids[3]}));
  vars["after"] = page.at("pageInfo").at("endCursor");
  page = data_of(h.gql(q, vars), "peers");
  EXPECT_EQ(ids_of(page), (std::vector<std::string>{op_ids[4]}));
  EXPECT_FALSE(page.at("pageInfo").at("hasNextPage").as_bool());
  EXPECT_TRUE(page.at("pageInfo").at("hasPreviousPage").as_bool());
  // Backwards from the last one.
  json::object back = {{"last", 2}, {"before", op_ids[4]}, {"order", "ASC"},
                       {"tenant", kOperatorTenantId}};
  page = data_of(h.gql(q, back), "peers");
  EXPECT_EQ(ids_of(page), (std::vector<std::string>{op_ids[2], op_ids[3]}));
  EXPECT_TRUE(page.at("pageInfo").at("hasNextPage").as_bool());
  EXPECT_TRUE(page.at("pageInfo").at("hasPreviousPage").as_bool());
  // Without a filter the operator sees every tenant's peers, newest first by default.
  auto all = ids_of(data_of(h.gql(q, {{"first", 10}}), "peers"));
  ASSERT_EQ(all.size(), 6u);
  EXPECT_EQ(all.front(), a_peer.at("id").as_string());
  // A tenant sees only its own, whatever tenantId it passes.
  auto own = ids_of(data_of(h.gql(q, {{"tenant", kOperatorTenantId}}, as_tenant(kTenantA)), "peers"));
  EXPECT_EQ(own, (std::vector<std::string>{std::string(a_peer.at("id").as_string())}));
  // Pagination argument errors.
  auto backwards_from_start = h.gql(q, {{"last", 2}});
  EXPECT_EQ(error_message(backwards_from_start), "Can't paginate backwards from the start.");
  EXPECT_EQ(error_message(h.gql(q, {{"first", 101}})), "Pagination index error");
}

// --- updatePeer -------------------------------------------------------------------------------

TEST(PeerUpdate, ChangesOnlyWhatIsGiven) {
  AdminHarness h;
  Uuid usd = make_asset(h, kOperatorTenantId, "USD");
  json::object input = peer_input(usd, "test.u", {"old-token"});
  input["routes"] = json::array{"test.u-route"};
  input["name"] = "Before";
  input["maxPacketAmount"] = "100";
  auto peer = create_peer(h, input);
  std::string id(peer.at("id").as_string());

  // Name only: everything else stays.
  auto named = data_of(h.gql(kUpdate, {{"input", {{"id", id}, {"name", "After"}}}}), "updatePeer")
                   .at("peer");
  EXPECT_EQ(named.at("name").as_string(), "After");
  EXPECT_EQ(named.at("maxPacketAmount").as_string(), "100");
  EXPECT_EQ(json::serialize(named.at("routes")), R"(["test.u","test.u-route"])");
  EXPECT_EQ(named.at("http"), peer.at("http"));
  // Routes replace the old ones, behind the static address.
  auto routed = data_of(h.gql(kUpdate, {{"input", {{"id", id}, {"routes", {"test.r1", "test.r2"}}}}}),
                        "updatePeer")
                    .at("peer");
  EXPECT_EQ(json::serialize(routed.at("routes")), R"(["test.u","test.r1","test.r2"])");
  // A new static address takes the lead of the routes.
  auto moved = data_of(h.gql(kUpdate, {{"input", {{"id", id}, {"staticIlpAddress", "test.v"}}}}),
                       "updatePeer")
                   .at("peer");
  EXPECT_EQ(moved.at("staticIlpAddress").as_string(), "test.v");
  EXPECT_EQ(json::serialize(moved.at("routes")), R"(["test.v","test.r1","test.r2"])");
  // http: outgoing replaced, incoming tokens replaced (the old one no longer authenticates).
  json::object http_update = {
      {"id", id},
      {"maxPacketAmount", "7"},
      {"liquidityThreshold", "3"},
      {"http",
       {{"incoming", {{"authTokens", {"new-token"}}}},
        {"outgoing", {{"authToken", "new-out"}, {"endpoint", "https://new.example"}}}}}};
  auto r = h.gql(kUpdate, {{"input", http_update}});
  auto updated = data_of(r, "updatePeer").at("peer");
  EXPECT_EQ(updated.at("http").at("outgoing").at("authToken").as_string(), "new-out");
  EXPECT_EQ(updated.at("http").at("outgoing").at("endpoint").as_string(), "https://new.example");
  EXPECT_EQ(updated.at("maxPacketAmount").as_string(), "7");
  EXPECT_EQ(updated.at("liquidityThreshold").as_string(), "3");
  EXPECT_EQ(updated.at("name").as_string(), "After");
  EXPECT_EQ(json::serialize(r).find("new-token"), std::string::npos);
  auto old_lookup = h.wait(h.backend().peers->by_incoming_token("old-token"));
  ASSERT_TRUE(old_lookup);
  EXPECT_FALSE(*old_lookup);
  auto new_lookup = h.wait(h.backend().peers->by_incoming_token("new-token"));
  ASSERT_TRUE(new_lookup && *new_lookup);
  EXPECT_EQ((*new_lookup)->id.str(), id);
  // The stored row matches what was answered.
  EXPECT_EQ(json::serialize(data_of(h.gql(kGet, {{"id", id}}), "peer")), json::serialize(updated));

  // An explicit null clears a nullable field (a client can lift the packet limit), each on its
  // own; an absent one stays.
  json::object lift = {{"id", id}, {"maxPacketAmount", nullptr}};
  auto lifted = data_of(h.gql(kUpdate, {{"input", lift}}), "updatePeer").at("peer");
  EXPECT_TRUE(lifted.at("maxPacketAmount").is_null());
  EXPECT_EQ(lifted.at("liquidityThreshold").as_string(), "3");
  json::object no_threshold = {{"id", id}, {"liquidityThreshold", nullptr}};
  auto cleared = data_of(h.gql(kUpdate, {{"input", no_threshold}}), "updatePeer").at("peer");
  EXPECT_TRUE(cleared.at("maxPacketAmount").is_null());
  EXPECT_TRUE(cleared.at("liquidityThreshold").is_null());
  EXPECT_EQ(json::serialize(data_of(h.gql(kGet, {{"id", id}}), "peer")), json::serialize(cleared));
}

TEST(PeerUpdate, ErrorsAndTenancy) {
  AdminHarness h;
  add_tenant(h, kTenantA, "secret-a");
  Uuid usd = make_asset(h, kOperatorTenantId, "USD");
  Uuid a_usd = make_asset(h, kTenantA, "USD");
  auto op_peer = create_peer(h, peer_input(usd, "test.op", {"op-token"}));
  auto other = create_peer(h, peer_input(usd, "test.other", {"other-token"}));
  auto a_peer = create_peer(h, peer_input(a_usd, "test.a"), as_tenant(kTenantA));
  json::value id = op_peer.at("id");

  auto expect = [&](json::object input, const char* code, const char* message,
                    std::optional<AdminContext> as = std::nullopt) {
    auto r = h.gql(kUpdate, {{"input", input}}, as);
    EXPECT_EQ(error_code(r), code) << json::serialize(input);
    EXPECT_EQ(error_message(r), message) << json::serialize(input);
  };
  expect({{"id", Uuid::v4().str()}, {"name", "x"}}, "NOT_FOUND", "unknown peer");
  expect({{"id", "nope"}, {"name", "x"}}, "NOT_FOUND", "unknown peer");
  expect({{"id", id}, {"staticIlpAddress", "test."}}, "BAD_USER_INPUT", "invalid ILP address");
  expect({{"id", id}, {"routes", {"bad route"}}}, "BAD_USER_INPUT", "invalid ILP address");
  expect({{"id", id},
          {"http", {{"outgoing", {{"authToken", "t"}, {"endpoint", "http://a..b"}}}}}},
         "BAD_USER_INPUT", "invalid HTTP endpoint");
  expect({{"id", id}, {"staticIlpAddress", "test.other"}}, "DUPLICATE",
         "duplicate peer found for same ILP address and asset");
  expect({{"id", id},
          {"http",
           {{"incoming", {{"authTokens", {"other-token"}}}},
            {"outgoing", {{"authToken", "t"}, {"endpoint", "http://a.b"}}}}}},
         "DUPLICATE", "duplicate incoming token");
  // A failed update changed nothing (its own token still works).
  auto still = h.wait(h.backend().peers->by_incoming_token("op-token"));
  ASSERT_TRUE(still && *still);
  EXPECT_EQ((*still)->static_ilp_address, "test.op");
  // A tenant cannot touch another tenant's peer; the operator can touch any.
  expect({{"id", id}, {"name", "x"}}, "NOT_FOUND", "unknown peer", as_tenant(kTenantA));
  auto by_operator = h.gql(kUpdate, {{"input", {{"id", a_peer.at("id")}, {"name", "op-set"}}}});
  EXPECT_EQ(data_of(by_operator, "updatePeer").at("peer").at("name").as_string(), "op-set");
  auto by_owner = h.gql(kUpdate, {{"input", {{"id", a_peer.at("id")}, {"name", "own"}}}},
                        as_tenant(kTenantA));
  EXPECT_EQ(data_of(by_owner, "updatePeer").at("peer").at("name").as_string(), "own");
  (void)other;
}

// --- deletePeer -------------------------------------------------------------------------------

TEST(PeerDelete, DeletesTheSignatureTenantsPeerOnly) {
  AdminHarness h;
  add_tenant(h, kTenantA, "secret-a");
  Uuid usd = make_asset(h, kOperatorTenantId, "USD");
  Uuid a_usd = make_asset(h, kTenantA, "USD");
  auto op_peer = create_peer(h, peer_input(usd, "test.op", {"op-token"}));
  auto a_peer = create_peer(h, peer_input(a_usd, "test.a"), as_tenant(kTenantA));

  for (const std::string& id : {Uuid::v4().str(), std::string("nope")}) {
    auto r = h.gql(kDelete, {{"input", {{"id", id}}}});
    EXPECT_EQ(error_code(r), "NOT_FOUND");
    EXPECT_EQ(error_message(r), "unknown peer");
  }
  // Scoped to the signature tenant, even for the operator (as upstream).
  auto foreign = h.gql(kDelete, {{"input", {{"id", a_peer.at("id")}}}});
  EXPECT_EQ(error_code(foreign), "NOT_FOUND");
  auto foreign2 = h.gql(kDelete, {{"input", {{"id", op_peer.at("id")}}}}, as_tenant(kTenantA));
  EXPECT_EQ(error_code(foreign2), "NOT_FOUND");

  auto ok = h.gql(kDelete, {{"input", {{"id", op_peer.at("id")}}}});
  EXPECT_TRUE(data_of(ok, "deletePeer").at("success").as_bool());
  EXPECT_EQ(error_code(h.gql(kGet, {{"id", op_peer.at("id")}})), "NOT_FOUND");
  EXPECT_EQ(h.db().query_value("SELECT count(*) FROM peer_incoming_tokens"), "0");
  auto gone = h.wait(h.backend().peers->by_incoming_token("op-token"));
  ASSERT_TRUE(gone);
  EXPECT_FALSE(*gone);
  auto own = h.gql(kDelete, {{"input", {{"id", a_peer.at("id")}}}}, as_tenant(kTenantA));
  EXPECT_TRUE(data_of(own, "deletePeer").at("success").as_bool());
  EXPECT_EQ(peer_count(h), "0");
}

TEST(PeerDelete, RefusedWhileThePeerHoldsLiquidity) {
  AdminHarness h;
  Uuid usd = make_asset(h, kOperatorTenantId, "USD");
  json::object input = peer_input(usd, "test.funded");
  input["initialLiquidity"] = "100";
  auto peer = create_peer(h, input);
  json::value id = peer.at("id");
  auto refused = h.gql(kDelete, {{"input", {{"id", id}}}});
  EXPECT_EQ(error_code(refused), "FORBIDDEN");
  EXPECT_EQ(error_message(refused), "Cannot delete! Peer has liquidity.");
  // A pending withdrawal of everything still reserves the money: still refused.
  std::string withdrawal = Uuid::v4().str();
  auto pending = h.gql(kWithdraw, {{"input", {{"peerId", id}, {"amount", "100"}, {"id", withdrawal},
                                              {"idempotencyKey", "w1"}, {"timeoutSeconds", "60"}}}});
  EXPECT_TRUE(data_of(pending, "createPeerLiquidityWithdrawal").at("success").as_bool());
  EXPECT_EQ(data_of(h.gql(kGet, {{"id", id}}), "peer").at("liquidity").as_string(), "0");
  EXPECT_EQ(error_code(h.gql(kDelete, {{"input", {{"id", id}}}})), "FORBIDDEN");
  // Once posted, the money is back in settlement and the peer may go.
  auto posted = h.gql(
      "mutation($input: PostLiquidityWithdrawalInput!) { postLiquidityWithdrawal(input: $input) {"
      " success } }",
      {{"input", {{"withdrawalId", withdrawal}, {"idempotencyKey", "p1"}}}});
  if (posted.contains("errors")) {
    // The liquidity domain's resolver may not be registered yet: post through the service.
    auto r = h.wait(h.backend().liquidity->post_withdrawal(*Uuid::parse(withdrawal)));
    ASSERT_TRUE(r) << liquidity::to_error(r.error()).message;
  }
  auto deleted = h.gql(kDelete, {{"input", {{"id", id}}}});
  EXPECT_TRUE(data_of(deleted, "deletePeer").at("success").as_bool());
  // The ledger account stays (history), empty.
  EXPECT_EQ(h.db().query_value("SELECT credits_posted - debits_posted FROM ledger_accounts WHERE"
                               " id = '" + std::string(id.as_string()) + "'"),
            "0");
}

// --- peer liquidity ---------------------------------------------------------------------------

TEST(PeerLiquidity, DepositAndWithdrawMoveMoneyOncePerKeyAndId) {
  AdminHarness h;
  add_tenant(h, kTenantA, "secret-a");
  Uuid usd = make_asset(h, kOperatorTenantId, "USD");
  auto peer = create_peer(h, peer_input(usd, "test.liq"));
  json::value id = peer.at("id");
  auto liquidity = [&] {
    return std::string(data_of(h.gql(kGet, {{"id", id}}), "peer").at("liquidity").as_string());
  };
  std::string transfer = Uuid::v4().str();
  json::object deposit = {{"peerId", id}, {"amount", "500"}, {"id", transfer},
                          {"idempotencyKey", "dep-1"}};
  for (int i = 0; i < 2; ++i) {
    auto r = h.gql(kDeposit, {{"input", deposit}});
    EXPECT_TRUE(data_of(r, "depositPeerLiquidity").at("success").as_bool());
  }
  EXPECT_EQ(liquidity(), "500");
  // The same transfer id under another key: the ledger refuses it.
  deposit["idempotencyKey"] = "dep-2";
  auto again = h.gql(kDeposit, {{"input", deposit}});
  EXPECT_EQ(error_code(again), "DUPLICATE");
  EXPECT_EQ(error_message(again), "Transfer already exists");
  EXPECT_EQ(liquidity(), "500");

  auto deposit_error = [&](json::object input, const char* code, const char* message,
                           std::optional<AdminContext> as = std::nullopt) {
    auto r = h.gql(kDeposit, {{"input", input}}, as);
    EXPECT_EQ(error_code(r), code) << json::serialize(input);
    EXPECT_EQ(error_message(r), message) << json::serialize(input);
    EXPECT_TRUE(r.at("data").at("depositPeerLiquidity").is_null());
  };
  deposit_error({{"peerId", id}, {"amount", "0"}, {"id", Uuid::v4().str()}, {"idempotencyKey", "d3"}},
                "FORBIDDEN", "Transfer amount is zero");
  deposit_error({{"peerId", id}, {"amount", "1"}, {"id", "not-a-uuid"}, {"idempotencyKey", "d4"}},
                "BAD_USER_INPUT", "Invalid transfer id");
  deposit_error({{"peerId", Uuid::v4().str()}, {"amount", "1"}, {"id", Uuid::v4().str()},
                 {"idempotencyKey", "d5"}},
                "NOT_FOUND", "unknown peer");
  deposit_error({{"peerId", id}, {"amount", "1"}, {"id", Uuid::v4().str()}, {"idempotencyKey", "d6"}},
                "NOT_FOUND", "unknown peer", as_tenant(kTenantA));

  // Withdrawals: single-phase, twice under one key → once.
  json::object withdraw = {{"peerId", id}, {"amount", "200"}, {"id", Uuid::v4().str()},
                           {"idempotencyKey", "wd-1"}, {"timeoutSeconds", "0"}};
  for (int i = 0; i < 2; ++i) {
    auto r = h.gql(kWithdraw, {{"input", withdraw}});
    EXPECT_TRUE(data_of(r, "createPeerLiquidityWithdrawal").at("success").as_bool());
  }
  EXPECT_EQ(liquidity(), "300");
  auto withdraw_error = [&](json::object input, const char* code, const char* message,
                            std::optional<AdminContext> as = std::nullopt) {
    auto r = h.gql(kWithdraw, {{"input", input}}, as);
    EXPECT_EQ(error_code(r), code) << json::serialize(input);
    EXPECT_EQ(error_message(r), message) << json::serialize(input);
  };
  withdraw_error({{"peerId", id}, {"amount", "301"}, {"id", Uuid::v4().str()},
                  {"idempotencyKey", "w2"}, {"timeoutSeconds", "0"}},
                 "FORBIDDEN", "Insufficient transfer balance");
  withdraw_error({{"peerId", id}, {"amount", "0"}, {"id", Uuid::v4().str()},
                  {"idempotencyKey", "w3"}, {"timeoutSeconds", "0"}},
                 "FORBIDDEN", "Transfer amount is zero");
  withdraw_error({{"peerId", id}, {"amount", "1"}, {"id", "x"}, {"idempotencyKey", "w4"},
                  {"timeoutSeconds", "0"}},
                 "BAD_USER_INPUT", "Invalid transfer id");
  withdraw_error({{"peerId", Uuid::v4().str()}, {"amount", "1"}, {"id", Uuid::v4().str()},
                  {"idempotencyKey", "w5"}, {"timeoutSeconds", "0"}},
                 "NOT_FOUND", "Unknown peer");
  withdraw_error({{"peerId", id}, {"amount", "1"}, {"id", Uuid::v4().str()},
                  {"idempotencyKey", "w6"}, {"timeoutSeconds", "0"}},
                 "NOT_FOUND", "Unknown peer", as_tenant(kTenantA));
  withdraw_error({{"peerId", id}, {"amount", "1"}, {"id", Uuid::v4().str()},
                  {"idempotencyKey", "w7"}, {"timeoutSeconds", "4294967296"}},
                 "BAD_USER_INPUT", "Invalid transfer timeout provided");
  EXPECT_EQ(liquidity(), "300");
  // Pending withdrawals reserve the amount at once.
  auto pending = h.gql(kWithdraw, {{"input", {{"peerId", id}, {"amount", "100"},
                                              {"id", Uuid::v4().str()}, {"idempotencyKey", "w8"},
                                              {"timeoutSeconds", "30"}}}});
  EXPECT_TRUE(data_of(pending, "createPeerLiquidityWithdrawal").at("success").as_bool());
  EXPECT_EQ(liquidity(), "200");
}

TEST(PeerLiquidity, TenantsMoveTheirOwnPeersLiquidity) {
  AdminHarness h;
  add_tenant(h, kTenantA, "secret-a");
  Uuid a_usd = make_asset(h, kTenantA, "USD");
  auto peer = create_peer(h, peer_input(a_usd, "test.a"), as_tenant(kTenantA));
  auto r = h.gql(kDeposit, {{"input", {{"peerId", peer.at("id")}, {"amount", "9"},
                                      {"id", Uuid::v4().str()}, {"idempotencyKey", "a-dep"}}}},
                 as_tenant(kTenantA));
  EXPECT_TRUE(data_of(r, "depositPeerLiquidity").at("success").as_bool());
  // The operator may too.
  auto op = h.gql(kDeposit, {{"input", {{"peerId", peer.at("id")}, {"amount", "1"},
                                       {"id", Uuid::v4().str()}, {"idempotencyKey", "op-dep"}}}});
  EXPECT_TRUE(data_of(op, "depositPeerLiquidity").at("success").as_bool());
  auto read = h.gql(kGet, {{"id", peer.at("id")}}, as_tenant(kTenantA));
  EXPECT_EQ(data_of(read, "peer").at("liquidity").as_string(), "10");
}

// --- routing ----------------------------------------------------------------------------------

// Two peers of one asset, where routes overlap: the longest matching prefix decides.
struct RoutingSetup {
  Uuid usd, eur;
  std::string a, b, c;
};

RoutingSetup make_routing(AdminHarness& h) {
  RoutingSetup s;
  s.usd = make_asset(h, kOperatorTenantId, "USD");
  s.eur = make_asset(h, kOperatorTenantId, "EUR");
  json::object a = peer_input(s.usd, "test.hub");
  a["routes"] = json::array{"test.shared", "g"};
  s.a = create_peer(h, a).at("id").as_string();
  json::object b = peer_input(s.usd, "test.hub.east");
  b["routes"] = json::array{"test.shared.deep.er"};
  s.b = create_peer(h, b).at("id").as_string();
  s.c = create_peer(h, peer_input(s.eur, "test.hub.east.eu")).at("id").as_string();
  return s;
}

void expect_routes(AdminHarness& h, const RoutingSetup& s) {
  auto route = [&](const std::string& address, const Uuid& asset) -> std::string {
    auto r = h.gql(kByAddress, {{"a", address}, {"asset", asset.str()}});
    auto v = data_of(r, "peerByAddressAndAsset");
    return v.is_null() ? "null" : std::string(v.at("id").as_string());
  };
  EXPECT_EQ(route("test.hub", s.usd), s.a);
  EXPECT_EQ(route("test.hub.west.x", s.usd), s.a);
  EXPECT_EQ(route("test.hub.east", s.usd), s.b);
  EXPECT_EQ(route("test.hub.east.eu.alice", s.usd), s.b);  // c is another asset
  EXPECT_EQ(route("test.hub.east.eu.alice", s.eur), s.c);
  EXPECT_EQ(route("test.shared.deep", s.usd), s.a);
  EXPECT_EQ(route("test.shared.deep.er.z", s.usd), s.b);
  EXPECT_EQ(route("g.anything", s.usd), s.a);
  EXPECT_EQ(route("test.hubx", s.usd), "null");  // whole segments only
  EXPECT_EQ(route("test.nowhere", s.usd), "null");
  EXPECT_EQ(route("test.hub", s.eur), "null");
  EXPECT_EQ(route("test.hub", Uuid::v4()), "null");
  auto bad_asset = h.gql(kByAddress, {{"a", "test.hub"}, {"asset", "nope"}});
  EXPECT_TRUE(data_of(bad_asset, "peerByAddressAndAsset").is_null());
  // Another tenant's signature sees none of the operator's peers.
  add_tenant(h, kTenantA, "secret-a");
  auto foreign = h.gql(kByAddress, {{"a", "test.hub"}, {"asset", s.usd.str()}}, as_tenant(kTenantA));
  EXPECT_TRUE(data_of(foreign, "peerByAddressAndAsset").is_null());
}

TEST(PeerRouting, LongestPrefixWinsReadingTheDatabase) {
  AdminHarness h;
  auto s = make_routing(h);
  EXPECT_FALSE(h.backend().peers->cache_live());
  expect_routes(h, s);
  EXPECT_EQ(h.backend().peers->snapshot_loads(), 0u);
}

TEST(PeerRouting, LongestPrefixWinsFromTheCache) {
  AdminHarness h;
  auto s = make_routing(h);
  ASSERT_TRUE(h.backend().peers->start_listener());
  ASSERT_TRUE(eventually(h, [&] { return h.backend().peers->cache_live(); }));
  expect_routes(h, s);
  EXPECT_EQ(h.backend().peers->snapshot_loads(), 1u);  // one load served every lookup
  // The oldest of two peers sharing the best prefix is chosen.
  json::object dup = peer_input(s.usd, "test.other");
  dup["routes"] = json::array{"test.hub.east"};
  create_peer(h, dup);
  auto r = h.gql(kByAddress, {{"a", "test.hub.east.x"}, {"asset", s.usd.str()}});
  EXPECT_EQ(data_of(r, "peerByAddressAndAsset").at("id").as_string(), s.b);
  h.backend().peers->stop_listener();
  EXPECT_FALSE(h.backend().peers->cache_live());
}

// The connector's next hop: all of a tenant's peers whatever their asset, never the excluded
// (incoming) peer, a shorter prefix when every peer of the longest one is excluded.
struct NextHopSetup {
  Uuid usd, eur;
  std::string a, b, c, e, foreign;
};

NextHopSetup make_next_hops(AdminHarness& h) {
  NextHopSetup s;
  s.usd = make_asset(h, kOperatorTenantId, "USD");
  s.eur = make_asset(h, kOperatorTenantId, "EUR");
  json::object a = peer_input(s.usd, "test.hub");
  a["routes"] = json::array{"g"};
  s.a = create_peer(h, a).at("id").as_string();
  s.b = create_peer(h, peer_input(s.usd, "test.hub.east")).at("id").as_string();
  s.c = create_peer(h, peer_input(s.eur, "test.hub.east.eu")).at("id").as_string();
  json::object e = peer_input(s.eur, "test.other");
  e["routes"] = json::array{"test.hub.east"};  // shares b's prefix; b is older
  s.e = create_peer(h, e).at("id").as_string();
  add_tenant(h, kTenantA, "secret-a");
  Uuid foreign_usd = make_asset(h, kTenantA, "USD");
  s.foreign = create_peer(h, peer_input(foreign_usd, "test.hub.east.eu.far"), as_tenant(kTenantA))
                  .at("id")
                  .as_string();
  if (s.a.empty() || s.b.empty() || s.c.empty() || s.e.empty() || s.foreign.empty()) {
    throw std::runtime_error("next-hop setup failed");
  }
  return s;
}

void expect_next_hops(AdminHarness& h, const NextHopSetup& s) {
  const Uuid op = *Uuid::parse(kOperatorTenantId);
  const Uuid tenant_a = *Uuid::parse(kTenantA);
  auto hop = [&](const Uuid& tenant, const std::string& address,
                 const std::string& exclude = {}) -> std::string {
    std::optional<Uuid> ex;
    if (!exclude.empty()) ex = Uuid::parse(exclude);
    auto r = h.wait(h.backend().peers->next_hop(tenant, address, ex));
    if (!r) throw std::runtime_error(r.error().message);
    return *r ? (*r)->id.str() : "null";
  };
  // Any asset: the EUR peer c is the longest match for a USD packet's destination.
  EXPECT_EQ(hop(op, "test.hub.east.eu.alice"), s.c);
  EXPECT_EQ(hop(op, "test.hub.east.eu.alice", s.a), s.c);
  // c excluded: the next shorter prefix, where b (older than e) wins; b excluded too → e.
  EXPECT_EQ(hop(op, "test.hub.east.eu.alice", s.c), s.b);
  EXPECT_EQ(hop(op, "test.hub.east.x", s.b), s.e);
  EXPECT_EQ(hop(op, "test.hub.east.x"), s.b);
  EXPECT_EQ(hop(op, "test.hub.west", s.b), s.a);
  // Only the excluded peer matches anywhere: no route.
  EXPECT_EQ(hop(op, "test.hub.west", s.a), "null");
  EXPECT_EQ(hop(op, "g.anything"), s.a);
  EXPECT_EQ(hop(op, "g.anything", s.a), "null");
  // An excluded id that is no peer changes nothing.
  EXPECT_EQ(hop(op, "test.hub", Uuid::v4().str()), s.a);
  // Whole segments only; unknown prefixes; bad input.
  EXPECT_EQ(hop(op, "test.hubx"), "null");
  EXPECT_EQ(hop(op, "test.nowhere"), "null");
  EXPECT_EQ(hop(op, ""), "null");
  // Another tenant's peers are never returned, either way round.
  EXPECT_EQ(hop(op, "test.hub.east.eu.far.x"), s.c);
  EXPECT_EQ(hop(tenant_a, "test.hub.east.eu.far.x"), s.foreign);
  EXPECT_EQ(hop(tenant_a, "test.hub.east.eu.far.x", s.foreign), "null");
  EXPECT_EQ(hop(tenant_a, "test.hub"), "null");
  EXPECT_EQ(hop(Uuid::v4(), "test.hub"), "null");
}

TEST(PeerRouting, NextHopOverAllAssetsReadingTheDatabase) {
  AdminHarness h;
  auto s = make_next_hops(h);
  EXPECT_FALSE(h.backend().peers->cache_live());
  expect_next_hops(h, s);
  EXPECT_EQ(h.backend().peers->snapshot_loads(), 0u);
}

TEST(PeerRouting, NextHopOverAllAssetsFromTheCache) {
  AdminHarness h;
  auto s = make_next_hops(h);
  ASSERT_TRUE(h.backend().peers->start_listener());
  ASSERT_TRUE(eventually(h, [&] { return h.backend().peers->cache_live(); }));
  expect_next_hops(h, s);
  EXPECT_EQ(h.backend().peers->snapshot_loads(), 1u);
  // A deleted peer is gone from the next hops at once.
  auto del = h.gql(kDelete, {{"input", {{"id", s.c}}}});
  ASSERT_TRUE(data_of(del, "deletePeer").at("success").as_bool());
  auto after = h.wait(h.backend().peers->next_hop(*Uuid::parse(kOperatorTenantId),
                                                  "test.hub.east.eu.alice", std::nullopt));
  ASSERT_TRUE(after);
  ASSERT_TRUE(*after);
  EXPECT_EQ((*after)->id.str(), s.b);
  h.backend().peers->stop_listener();
}

TEST(PeerRouting, AddressPrefixes) {
  EXPECT_EQ(peer::address_prefixes("g.a.b"),
            (std::vector<std::string_view>{"g.a.b", "g.a", "g"}));
  EXPECT_EQ(peer::address_prefixes("g"), (std::vector<std::string_view>{"g"}));
  EXPECT_TRUE(peer::address_prefixes("").empty());
}

// A second backend (another process, as far as the database can tell) on the same database.
class SecondBackend {
 public:
  explicit SecondBackend(AdminHarness& h) : h_(h) {
    store::PgConfig pg_config;
    pg_config.url = h.db().url();
    pg_config.max_connections = 4;
    auto pool = store::PgPool::create(h.io().get_executor(), pg_config);
    if (!pool) throw std::runtime_error(pool.error().message);
    auto kv = store::make_key_value(h.io().get_executor(), std::string());
    if (!kv) throw std::runtime_error(kv.error().message);
    backend_ = std::make_unique<Backend>(test_config(h.db().url()), h.io().get_executor(), *pool,
                                         *kv);
    auto schema = load_admin_schema();
    if (!schema) throw std::runtime_error(schema.error().message);
    schema_ = *schema;
    install_domains(*backend_, Mount{}, schema_.get());
  }

  json::object gql(std::string query, json::object variables) {
    return h_.wait(run(std::move(query), std::move(variables)));
  }

 private:
  asio::awaitable<json::object> run(std::string query, json::object variables) {
    std::any context = h_.operator_context();
    graphql::Request request;
    request.query = std::move(query);
    request.variables = std::move(variables);
    request.context = &context;
    auto outcome = co_await graphql::run(*schema_, request);
    co_return graphql::to_json(outcome.result);
  }

  AdminHarness& h_;
  std::unique_ptr<Backend> backend_;
  std::shared_ptr<graphql::Schema> schema_;
};

TEST(PeerRouting, ChangesByAnotherProcessReachTheCache) {
  AdminHarness h;
  Uuid usd = make_asset(h, kOperatorTenantId, "USD");
  Uuid tenant = *Uuid::parse(kOperatorTenantId);
  std::string id(create_peer(h, peer_input(usd, "test.first", {"tok-a"})).at("id").as_string());
  peer::PeerService& peers = *h.backend().peers;
  ASSERT_TRUE(peers.start_listener());
  ASSERT_TRUE(eventually(h, [&] { return peers.cache_live(); }));

  auto route_of = [&](const std::string& address) -> std::string {
    auto r = h.wait(peers.route(tenant, usd, address));
    EXPECT_TRUE(r);
    return r && *r ? (*r)->id.str() + "@" + (*r)->static_ilp_address : "null";
  };
  auto token_of = [&](const std::string& token) -> std::string {
    auto r = h.wait(peers.by_incoming_token(token));
    EXPECT_TRUE(r);
    return r && *r ? (*r)->id.str() : "null";
  };
  EXPECT_EQ(route_of("test.first.x"), id + "@test.first");
  EXPECT_EQ(token_of("tok-a"), id);
  const auto loads = peers.snapshot_loads();
  EXPECT_EQ(route_of("test.first.y"), id + "@test.first");
  EXPECT_EQ(peers.snapshot_loads(), loads);  // served from memory

  // A change behind the service's back (no notification) is not seen: the cache is in use.
  h.db().exec("UPDATE peers SET routes = '{test.first,test.sneaky}' WHERE id = '" + id + "'");
  EXPECT_EQ(route_of("test.sneaky"), "null");

  // A change through the other backend notifies, and this backend sees it.
  SecondBackend other(h);
  auto updated = other.gql(kUpdate, {{"input", {{"id", id},
                                                {"staticIlpAddress", "test.second"},
                                                {"routes", {"test.extra"}},
                                                {"http",
                                                 {{"incoming", {{"authTokens", {"tok-b"}}}},
                                                  {"outgoing", {{"authToken", "o"},
                                                                {"endpoint", "http://b.example"}}}}}}}});
  ASSERT_FALSE(updated.contains("errors")) << json::serialize(updated);
  EXPECT_TRUE(eventually(h, [&] { return route_of("test.second.x") == id + "@test.second"; }));
  EXPECT_EQ(route_of("test.extra.q"), id + "@test.second");
  EXPECT_EQ(route_of("test.first.x"), "null");
  EXPECT_EQ(token_of("tok-a"), "null");
  EXPECT_EQ(token_of("tok-b"), id);
  EXPECT_GT(peers.snapshot_loads(), loads);

  // A peer created and then deleted over there appears and disappears here.
  auto created = other.gql(kCreate, {{"input", peer_input(usd, "test.third", {"tok-c"})}});
  ASSERT_FALSE(created.contains("errors")) << json::serialize(created);
  std::string third(created.at("data").at("createPeer").at("peer").at("id").as_string());
  EXPECT_TRUE(eventually(h, [&] { return token_of("tok-c") == third; }));
  auto deleted = other.gql(kDelete, {{"input", {{"id", third}}}});
  ASSERT_FALSE(deleted.contains("errors")) << json::serialize(deleted);
  EXPECT_TRUE(eventually(h, [&] { return token_of("tok-c") == "null"; }));
  EXPECT_EQ(route_of("test.third"), "null");
  peers.stop_listener();
}

TEST(PeerRouting, ConcurrentLookupsLoadTheSnapshotOnce) {
  AdminHarness h;
  Uuid usd = make_asset(h, kOperatorTenantId, "USD");
  std::string id(create_peer(h, peer_input(usd, "test.busy", {"busy-token"})).at("id").as_string());
  peer::PeerService& peers = *h.backend().peers;
  ASSERT_TRUE(peers.start_listener());
  ASSERT_TRUE(eventually(h, [&] { return peers.cache_live(); }));
  const auto loads = peers.snapshot_loads();
  std::vector<std::future<Result<std::shared_ptr<const peer::Peer>>>> lookups;
  for (int i = 0; i < 20; ++i) {
    lookups.push_back(
        asio::co_spawn(h.io(), peers.by_incoming_token("busy-token"), asio::use_future));
  }
  for (auto& f : lookups) {
    while (f.wait_for(0s) != std::future_status::ready) {
      h.io().restart();
      h.io().run_one();
    }
    auto r = f.get();
    ASSERT_TRUE(r && *r);
    EXPECT_EQ((*r)->id.str(), id);
  }
  // One load; the lookups that came while it ran read their row from the database.
  EXPECT_EQ(peers.snapshot_loads(), loads + 1);
  peers.stop_listener();
}

TEST(PeerRouting, LosingTheListenerFallsBackToTheDatabaseAndResyncs) {
  AdminHarness h;
  Uuid usd = make_asset(h, kOperatorTenantId, "USD");
  Uuid tenant = *Uuid::parse(kOperatorTenantId);
  std::string id(create_peer(h, peer_input(usd, "test.first")).at("id").as_string());
  peer::PeerService& peers = *h.backend().peers;
  ASSERT_TRUE(peers.start_listener());
  ASSERT_TRUE(eventually(h, [&] { return peers.cache_live(); }));
  auto routes_to = [&](const std::string& address) {
    auto r = h.wait(peers.route(tenant, usd, address));
    return r && *r && (*r)->id.str() == id;
  };
  EXPECT_TRUE(routes_to("test.first.x"));
  const auto loads = peers.snapshot_loads();
  // A change nobody announced stays invisible while the listener is up...
  h.db().exec("UPDATE peers SET routes = '{test.first,test.sneaky}' WHERE id = '" + id + "'");
  EXPECT_FALSE(routes_to("test.sneaky"));
  // ...but once its connection is lost, notifications may have been missed: lookups read the
  // database until it is back, and the reconnect drops the snapshot.
  h.db().exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name ="
      " 'rafiki_listener' AND datname = current_database()");
  EXPECT_TRUE(eventually(h, [&] { return routes_to("test.sneaky"); }));
  EXPECT_TRUE(eventually(h, [&] { return peers.cache_live(); }));
  EXPECT_TRUE(routes_to("test.sneaky"));
  EXPECT_GT(peers.snapshot_loads(), loads);
  peers.stop_listener();
}

// The connector does not lock the peer row for a forwarded packet: it creates the pending
// transfer crediting the peer, then reads the row. deletePeer must therefore order itself with
// ledger batches on the peer's account: a batch holding the account's lock (as every batch does
// until it commits) makes the delete wait, and the delete then sees the batch's pending credit.
TEST(PeerDelete, WaitsForALedgerBatchOnThePeersAccountAndSeesItsPendingCredit) {
  AdminHarness h;
  Uuid usd = make_asset(h, kOperatorTenantId, "USD");
  std::string id(create_peer(h, peer_input(usd, "test.batch")).at("id").as_string());
  ASSERT_EQ(h.db().query_value("SELECT count(*) FROM ledger_accounts WHERE id = '" + id + "'"),
            "1");
  PGconn* batch = PQconnectdb(h.db().url().c_str());
  ASSERT_EQ(PQstatus(batch), CONNECTION_OK);
  auto exec = [&](const std::string& sql) {
    PGresult* r = PQexec(batch, sql.c_str());
    const auto status = PQresultStatus(r);
    PQclear(r);
    return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
  };
  // A batch in progress: the account locked, a pending credit of 5 not yet committed.
  ASSERT_TRUE(exec("BEGIN"));
  ASSERT_TRUE(exec("SELECT 1 FROM ledger_accounts WHERE id = '" + id + "' FOR UPDATE"));
  ASSERT_TRUE(exec("UPDATE ledger_accounts SET credits_pending = credits_pending + 5 WHERE id = '" +
                   id + "'"));
  auto remove = asio::co_spawn(
      h.io(), h.gql_async(kDelete, {{"input", {{"id", id}}}}, h.operator_context()),
      asio::use_future);
  const auto until = std::chrono::steady_clock::now() + 300ms;
  while (std::chrono::steady_clock::now() < until) {
    h.io().restart();
    h.io().run_for(10ms);
  }
  EXPECT_NE(remove.wait_for(0s), std::future_status::ready) << "the delete did not wait";
  ASSERT_TRUE(exec("COMMIT"));
  while (remove.wait_for(0s) != std::future_status::ready) {
    h.io().restart();
    h.io().run_one();
  }
  auto r = remove.get();
  EXPECT_EQ(error_message(r), "Cannot delete! Peer has liquidity.");
  EXPECT_EQ(peer_count(h), "1");
  // The batch's pending credit released (voided), the delete goes through.
  ASSERT_TRUE(exec("UPDATE ledger_accounts SET credits_pending = credits_pending - 5 WHERE id = '" +
                   id + "'"));
  PQfinish(batch);
  auto deleted = h.gql(kDelete, {{"input", {{"id", id}}}});
  EXPECT_TRUE(data_of(deleted, "deletePeer").at("success").as_bool());
}

TEST(PeerDelete, RacingADepositNeverStrandsMoney) {
  AdminHarness h;
  Uuid usd = make_asset(h, kOperatorTenantId, "USD");
  int deleted_count = 0, refused_count = 0;
  for (int i = 0; i < 6; ++i) {
    std::string id(create_peer(h, peer_input(usd, "test.race" + std::to_string(i)))
                       .at("id")
                       .as_string());
    auto deposit = asio::co_spawn(
        h.io(),
        h.gql_async(kDeposit,
                    {{"input", {{"peerId", id}, {"amount", "5"}, {"id", Uuid::v4().str()},
                                {"idempotencyKey", "race-d" + std::to_string(i)}}}},
                    h.operator_context()),
        asio::use_future);
    auto remove = asio::co_spawn(
        h.io(), h.gql_async(kDelete, {{"input", {{"id", id}}}}, h.operator_context()),
        asio::use_future);
    while (deposit.wait_for(0s) != std::future_status::ready ||
           remove.wait_for(0s) != std::future_status::ready) {
      h.io().restart();
      h.io().run_one();
    }
    auto d = deposit.get();
    auto r = remove.get();
    std::string balance = h.db().query_value(
        "SELECT credits_posted - debits_posted FROM ledger_accounts WHERE id = '" + id + "'");
    if (r.contains("errors")) {
      ++refused_count;
      EXPECT_EQ(error_message(r), "Cannot delete! Peer has liquidity.");
      EXPECT_FALSE(d.contains("errors"));
      EXPECT_EQ(balance, "5");
      EXPECT_EQ(peer_count(h) != "0", true);
    } else {
      ++deleted_count;
      // Deleted first: the deposit found no peer, and nothing reached the old account.
      EXPECT_EQ(error_message(d), "unknown peer");
      EXPECT_EQ(balance, "0");
    }
  }
  EXPECT_EQ(deleted_count + refused_count, 6);
  RecordProperty("deleted", deleted_count);
}

// --- auto-peering ---------------------------------------------------------------------------

// The other instance's auto-peering server, on loopback: records each request and answers with
// `status` and `body` (the body's "$token" is replaced by a fresh token per request).
struct AcceptorState {
  int status = 200;
  std::string body;
  std::vector<json::object> requests;
  std::vector<std::string> tokens_sent;
};

struct Acceptor {
  explicit Acceptor(asio::io_context& io) : state(std::make_shared<AcceptorState>()) {
    net::ServerLimits limits;
    limits.shutdown_grace = 50ms;
    auto st = state;
    server = std::make_unique<net::HttpServer>(
        io, "auto-peering acceptor",
        [st](net::Request& r) -> asio::awaitable<net::Response> {
          boost::system::error_code ec;
          json::value body = json::parse(r.body, ec);
          st->requests.push_back(!ec && body.is_object() ? body.as_object() : json::object{});
          std::string answer = st->body;
          std::string token = Uuid::v4().str();
          if (auto at = answer.find("$token"); at != std::string::npos) {
            answer.replace(at, 6, token);
            st->tokens_sent.push_back(token);
          }
          co_return net::Response::json(st->status, answer);
        },
        limits);
    auto port = server->listen("127.0.0.1", 0);
    if (!port) throw std::runtime_error(port.error().message);
    url = "http://127.0.0.1:" + std::to_string(*port) + "/";
    server->start();
  }
  std::shared_ptr<AcceptorState> state;
  std::unique_ptr<net::HttpServer> server;
  std::string url;
};

const std::string kByUrl =
    "mutation($input: CreateOrUpdatePeerByUrlInput!) { createOrUpdatePeerByUrl(input: $input) {"
    " peer { " + kPeerFields + " } } }";

const std::string kAcceptorAnswer =
    R"({"staticIlpAddress":"test.other-bank","ilpConnectorUrl":"http://127.0.0.1:4002",)"
    R"("httpToken":"$token","name":"Other Bank","tenantId":"00000000-0000-4000-8000-000000000000"})";

TEST(PeerAutoPeering, PeersWithTheAnswerAndRenewsOnTheSecondCall) {
  AdminHarness h;
  Uuid usd = make_asset(h, kOperatorTenantId, "USD", 2);
  Acceptor acceptor(h.io());
  acceptor.state->body = kAcceptorAnswer;
  json::object input = {{"assetId", usd.str()}, {"peerUrl", acceptor.url},
                        {"maxPacketAmount", "1000"}, {"liquidityToDeposit", "250"}};
  auto r = h.gql(kByUrl, {{"input", input}});
  auto peer = data_of(r, "createOrUpdatePeerByUrl").at("peer").as_object();
  // What we sent: our ILP details and a fresh token.
  ASSERT_EQ(acceptor.state->requests.size(), 1u);
  const json::object& sent = acceptor.state->requests[0];
  EXPECT_EQ(sent.at("staticIlpAddress").as_string(), "test.rafiki");
  EXPECT_EQ(sent.at("ilpConnectorUrl").as_string(), "http://127.0.0.1:3002");
  EXPECT_EQ(json::serialize(sent.at("asset")), R"({"code":"USD","scale":2})");
  EXPECT_EQ(sent.at("maxPacketAmount").to_number<std::uint64_t>(), 1000u);
  EXPECT_EQ(sent.at("name").as_string(), "Test Rafiki");
  std::string our_token(sent.at("httpToken").as_string());
  EXPECT_TRUE(is_uuid(our_token));
  // What we made of the answer.
  EXPECT_EQ(peer.at("staticIlpAddress").as_string(), "test.other-bank");
  EXPECT_EQ(peer.at("http").at("outgoing").at("endpoint").as_string(), "http://127.0.0.1:4002");
  EXPECT_EQ(peer.at("http").at("outgoing").at("authToken").as_string(), our_token);
  EXPECT_EQ(peer.at("name").as_string(), "Other Bank");
  EXPECT_EQ(peer.at("maxPacketAmount").as_string(), "1000");
  EXPECT_EQ(peer.at("liquidity").as_string(), "250");
  auto by_token = h.wait(h.backend().peers->by_incoming_token(acceptor.state->tokens_sent[0]));
  ASSERT_TRUE(by_token && *by_token);
  EXPECT_EQ((*by_token)->id.str(), peer.at("id").as_string());

  // Again, with our own name for the peer: the same peer, renewed tokens, more liquidity.
  input["name"] = "Our name for them";
  auto again = data_of(h.gql(kByUrl, {{"input", input}}), "createOrUpdatePeerByUrl").at("peer");
  EXPECT_EQ(again.at("id"), peer.at("id"));
  EXPECT_EQ(again.at("name").as_string(), "Our name for them");
  EXPECT_NE(again.at("http").at("outgoing").at("authToken"), peer.at("http").at("outgoing").at("authToken"));
  EXPECT_EQ(data_of(h.gql(kGet, {{"id", peer.at("id")}}), "peer").at("liquidity").as_string(), "500");
  auto old_token = h.wait(h.backend().peers->by_incoming_token(acceptor.state->tokens_sent[0]));
  ASSERT_TRUE(old_token);
  EXPECT_FALSE(*old_token);
  auto new_token = h.wait(h.backend().peers->by_incoming_token(acceptor.state->tokens_sent[1]));
  ASSERT_TRUE(new_token && *new_token);
  EXPECT_EQ(peer_count(h), "1");
  h.wait(acceptor.server->shutdown());
}

TEST(PeerAutoPeering, MapsEveryFailure) {
  AdminHarness h;
  add_tenant(h, kTenantA, "secret-a");
  Uuid usd = make_asset(h, kOperatorTenantId, "USD");
  Acceptor acceptor(h.io());
  auto attempt = [&](int status, std::string body, std::string url = "",
                     std::optional<AdminContext> as = std::nullopt, std::string asset = "") {
    acceptor.state->status = status;
    acceptor.state->body = std::move(body);
    json::object input = {{"assetId", asset.empty() ? usd.str() : asset},
                          {"peerUrl", url.empty() ? acceptor.url : url}};
    return h.gql(kByUrl, {{"input", input}}, as);
  };
  auto expect = [](const json::object& r, const char* code, const char* message) {
    EXPECT_EQ(error_code(r), code) << json::serialize(r);
    EXPECT_EQ(error_message(r), message);
  };
  expect(attempt(404, R"({"error":{"code":404,"message":"Unknown asset","type":"UnknownAsset"}})"),
         "BAD_USER_INPUT", "Peer does not support asset");
  expect(attempt(400, R"({"error":{"code":400,"message":"x","type":"InvalidPeerIlpConfiguration"}})"),
         "BAD_USER_INPUT", "The ILP configuration is misconfigured");
  expect(attempt(400, R"({"error":{"code":400,"message":"x","type":"InvalidPeeringRequest"}})"),
         "BAD_USER_INPUT", "Invalid peering request");
  expect(attempt(500, "not json"), "BAD_USER_INPUT", "Invalid peering request");
  expect(attempt(200, "[]"), "BAD_USER_INPUT", "Invalid peering request");
  expect(attempt(200, R"({"staticIlpAddress":"test.x","ilpConnectorUrl":"http://a.b","httpToken":""})"),
         "BAD_USER_INPUT", "Invalid peering request");
  expect(attempt(200, R"({"staticIlpAddress":"bad","ilpConnectorUrl":"http://a.b","httpToken":"$token"})"),
         "INTERNAL_SERVER_ERROR", "Requested peer's ILP configuration is misconfigured");
  expect(attempt(200, R"({"staticIlpAddress":"test.x","ilpConnectorUrl":"ftp://a","httpToken":"$token"})"),
         "INTERNAL_SERVER_ERROR", "Requested peer's ILP configuration is misconfigured");
  // Nobody listening, or not a URL at all.
  Acceptor closed(h.io());
  std::string closed_url = closed.url;
  h.wait(closed.server->shutdown());
  closed.server.reset();
  expect(attempt(200, kAcceptorAnswer, closed_url), "NOT_FOUND",
         "Peer URL is invalid or peer does not support auto-peering");
  expect(attempt(200, kAcceptorAnswer, "not a url"), "NOT_FOUND",
         "Peer URL is invalid or peer does not support auto-peering");
  // Unknown asset, or another tenant's: nothing is sent.
  std::size_t sent = acceptor.state->requests.size();
  expect(attempt(200, kAcceptorAnswer, "", std::nullopt, Uuid::v4().str()), "NOT_FOUND",
         "Unknown asset");
  expect(attempt(200, kAcceptorAnswer, "", as_tenant(kTenantA)), "NOT_FOUND", "Unknown asset");
  EXPECT_EQ(acceptor.state->requests.size(), sent);
  EXPECT_EQ(peer_count(h), "0");
  h.wait(acceptor.server->shutdown());
}

// --- auto-peering, the accepting side --------------------------------------------------------

json::object peering_request(const std::string& address, const std::string& token,
                             const std::string& code = "USD", int scale = 2) {
  return {{"staticIlpAddress", address},
          {"ilpConnectorUrl", "http://other-bank.example:4002"},
          {"asset", {{"code", code}, {"scale", scale}}},
          {"httpToken", token},
          {"maxPacketAmount", 5000},
          {"name", "Other Bank"}};
}

std::pair<int, json::object> accept(AdminHarness& h, const std::string& body) {
  auto answer = h.wait(h.backend().peers->accept_peering(body));
  boost::system::error_code ec;
  json::value parsed = json::parse(answer.body, ec);
  return {answer.status, !ec && parsed.is_object() ? parsed.as_object() : json::object{}};
}

TEST(PeerAutoPeeringServer, PeersTheOperatorWithTheSenderAndRenewsOnTheSecondRequest) {
  AdminHarness h;
  Uuid usd = make_asset(h, kOperatorTenantId, "USD", 2);
  const std::string their_token = Uuid::v4().str();
  auto [status, answer] = accept(h, json::serialize(peering_request("test.other-bank", their_token)));
  ASSERT_EQ(status, 200) << json::serialize(answer);
  EXPECT_EQ(answer.at("staticIlpAddress").as_string(), "test.rafiki");
  EXPECT_EQ(answer.at("ilpConnectorUrl").as_string(), "http://127.0.0.1:3002");
  EXPECT_EQ(answer.at("name").as_string(), "Test Rafiki");
  EXPECT_EQ(answer.at("tenantId").as_string(), kOperatorTenantId);
  const std::string our_token(answer.at("httpToken").as_string());
  EXPECT_TRUE(is_uuid(our_token));

  auto peer = h.wait(h.backend().peers->by_incoming_token(their_token));
  ASSERT_TRUE(peer && *peer);
  auto shown = data_of(h.gql(kGet, {{"id", (*peer)->id.str()}}), "peer").as_object();
  EXPECT_EQ(shown.at("staticIlpAddress").as_string(), "test.other-bank");
  EXPECT_EQ(shown.at("asset").at("id").as_string(), usd.str());
  EXPECT_EQ(shown.at("tenant").at("id").as_string(), kOperatorTenantId);
  EXPECT_EQ(shown.at("http").at("outgoing").at("endpoint").as_string(), "http://other-bank.example:4002");
  EXPECT_EQ(shown.at("http").at("outgoing").at("authToken").as_string(), our_token);
  EXPECT_EQ(shown.at("maxPacketAmount").as_string(), "5000");
  EXPECT_EQ(shown.at("name").as_string(), "Other Bank");
  EXPECT_EQ(shown.at("liquidity").as_string(), "9007199254740991");  // 2^53 - 1, as upstream

  // Again, with a new token: the same peer, renewed; the old token is gone, no more liquidity.
  const std::string renewed = Uuid::v4().str();
  auto [again, second] = accept(h, json::serialize(peering_request("test.other-bank", renewed)));
  ASSERT_EQ(again, 200);
  EXPECT_NE(second.at("httpToken").as_string(), our_token);
  EXPECT_EQ(peer_count(h), "1");
  auto old_token = h.wait(h.backend().peers->by_incoming_token(their_token));
  ASSERT_TRUE(old_token);
  EXPECT_FALSE(*old_token);
  auto new_token = h.wait(h.backend().peers->by_incoming_token(renewed));
  ASSERT_TRUE(new_token && *new_token);
  EXPECT_EQ((*new_token)->id, (*peer)->id);
  auto after = data_of(h.gql(kGet, {{"id", (*peer)->id.str()}}), "peer").as_object();
  EXPECT_EQ(after.at("liquidity").as_string(), "9007199254740991");
  EXPECT_EQ(after.at("http").at("outgoing").at("authToken"), second.at("httpToken"));
}

TEST(PeerAutoPeeringServer, BadRequestsAreRefusedAndCreateNothing) {
  AdminHarness h;
  add_tenant(h, kTenantA, "secret-a");
  make_asset(h, kOperatorTenantId, "USD", 2);
  make_asset(h, kTenantA, "EUR", 2);  // another tenant's asset is not the operator's
  const std::string taken = Uuid::v4().str();
  ASSERT_EQ(accept(h, json::serialize(peering_request("test.first", taken))).first, 200);
  auto refused = [&](const std::string& body, int status, const char* type) {
    auto [got, answer] = accept(h, body);
    EXPECT_EQ(got, status) << body;
    const json::value* error = answer.if_contains("error");
    ASSERT_TRUE(error && error->is_object()) << body;
    EXPECT_EQ(error->at("type").as_string(), type) << body;
    EXPECT_EQ(error->at("code").to_number<int>(), status) << body;
  };
  const std::string token = Uuid::v4().str();
  refused(json::serialize(peering_request("test.x", token, "EUR")), 404, "UnknownAsset");
  refused(json::serialize(peering_request("test.x", token, "USD", 3)), 404, "UnknownAsset");
  refused(json::serialize(peering_request("not an address", token)), 400,
          "InvalidPeerIlpConfiguration");
  json::object bad_endpoint = peering_request("test.x", token);
  bad_endpoint["ilpConnectorUrl"] = "ftp://somewhere";
  refused(json::serialize(bad_endpoint), 400, "InvalidPeerIlpConfiguration");
  refused("not json", 400, "InvalidPeeringRequest");
  refused("[]", 400, "InvalidPeeringRequest");
  json::object no_token = peering_request("test.x", token);
  no_token.erase("httpToken");
  refused(json::serialize(no_token), 400, "InvalidPeeringRequest");
  refused(json::serialize(peering_request("test.x", token, "USD", -1)), 404, "UnknownAsset");
  json::object bad_max = peering_request("test.x", token);
  bad_max["maxPacketAmount"] = "lots";
  refused(json::serialize(bad_max), 400, "InvalidPeeringRequest");
  refused(json::serialize(peering_request("test.y", taken)), 400, "InvalidPeeringRequest");
  refused(std::string(peer::kAutoPeeringBodyBytesMax + 1, ' '), 400, "InvalidPeeringRequest");
  EXPECT_EQ(peer_count(h), "1");
  EXPECT_EQ(h.db().query_value("SELECT count(*) FROM peers WHERE static_ilp_address <> 'test.first'"),
            "0");
}

TEST(PeerAutoPeeringServer, AssetFirstLargeMaxPacketAmountsAndAPeerThatNeverGotItsDeposit) {
  AdminHarness h;
  Uuid usd = make_asset(h, kOperatorTenantId, "USD", 2);
  // As upstream, an unknown asset is 404 whatever else is wrong.
  auto [unknown, error] = accept(h, json::serialize(peering_request("not an address", "t", "XYZ")));
  EXPECT_EQ(unknown, 404);
  EXPECT_EQ(error.at("error").at("type").as_string(), "UnknownAsset");
  // A JavaScript sender's Number(2^64 - 1) arrives as 18446744073709552000.
  json::object huge = peering_request("test.huge", Uuid::v4().str());
  huge["maxPacketAmount"] = 18446744073709551615.0;
  auto [ok, answer] = accept(h, json::serialize(huge));
  ASSERT_EQ(ok, 200) << json::serialize(answer);
  EXPECT_EQ(h.db().query_value("SELECT max_packet_amount::text FROM peers WHERE "
                               "static_ilp_address = 'test.huge'"),
            "18446744073709551615");
  // A peer of that address and asset without liquidity (as if the process had died between
  // creating it and depositing): a renewal deposits once, the next renewal not again.
  json::object existing = create_peer(h, peer_input(usd, "test.bare"));
  const std::string id(existing.at("id").as_string());
  EXPECT_EQ(data_of(h.gql(kGet, {{"id", id}}), "peer").at("liquidity").as_string(), "0");
  for (int i = 0; i < 2; ++i) {
    auto [renewed, body] = accept(h, json::serialize(peering_request("test.bare", Uuid::v4().str())));
    ASSERT_EQ(renewed, 200) << json::serialize(body);
    EXPECT_EQ(data_of(h.gql(kGet, {{"id", id}}), "peer").at("liquidity").as_string(),
              "9007199254740991");
  }
  EXPECT_EQ(h.db().query_value("SELECT count(*) FROM ledger_transfers WHERE credit_account_id = '" +
                               id + "'"),
            "1");
}

// Both sides of ours over real HTTP: a tenant peers by URL with this instance's auto-peering
// server (mounted as `rafiki backend` mounts it); each side's outgoing token is the other's
// incoming one.
TEST(PeerAutoPeeringServer, OurClientPeersWithOurServer) {
  // Both instances on loopback: the tenant's URLs need the operator's leave.
  AdminHarness h(AdminHarness::Options{false, {{"TENANT_OUTBOUND_ALLOW_PRIVATE", "true"}}});
  add_tenant(h, kTenantA, "secret-a");
  Uuid tenant_usd = make_asset(h, kTenantA, "USD", 2);
  make_asset(h, kOperatorTenantId, "USD", 2);
  net::Router router;
  Mount mount;
  mount.auto_peering = &router;
  peer::install(h.backend(), mount);  // a fresh PeerService, as at start, with the route
  net::ServerLimits limits;
  limits.shutdown_grace = 50ms;
  net::HttpServer server(h.io(), "auto-peering", router.handler(), limits);
  auto port = server.listen("127.0.0.1", 0);
  ASSERT_TRUE(port);
  server.start();
  json::object input = {{"assetId", tenant_usd.str()},
                        {"peerUrl", "http://127.0.0.1:" + std::to_string(*port) + "/"},
                        {"liquidityToDeposit", "100"}};
  auto ours = data_of(h.gql(kByUrl, {{"input", input}}, as_tenant(kTenantA)),
                      "createOrUpdatePeerByUrl")
                  .at("peer")
                  .as_object();
  EXPECT_EQ(ours.at("tenant").at("id").as_string(), kTenantA);
  EXPECT_EQ(ours.at("liquidity").as_string(), "100");
  EXPECT_EQ(ours.at("name").as_string(), "Test Rafiki");
  auto theirs_id = h.db().query_value(
      std::string("SELECT id FROM peers WHERE tenant_id = '") + kOperatorTenantId + "'");
  auto theirs = data_of(h.gql(kGet, {{"id", theirs_id}}), "peer").as_object();
  EXPECT_EQ(theirs.at("liquidity").as_string(), "9007199254740991");
  // Each side's outgoing token opens the other side's door.
  auto to_ours = h.wait(h.backend().peers->by_incoming_token(
      std::string(theirs.at("http").at("outgoing").at("authToken").as_string())));
  ASSERT_TRUE(to_ours && *to_ours);
  EXPECT_EQ((*to_ours)->id.str(), ours.at("id").as_string());
  auto to_theirs = h.wait(h.backend().peers->by_incoming_token(
      std::string(ours.at("http").at("outgoing").at("authToken").as_string())));
  ASSERT_TRUE(to_theirs && *to_theirs);
  EXPECT_EQ((*to_theirs)->id.str(), theirs_id);
  h.wait(server.shutdown());
}

// --- the operator's outbound policy ----------------------------------------------------------

TEST(PeerOutboundPolicy, ATenantsEndpointMayNotBeALiteralForbiddenAddress) {
  AdminHarness h;
  add_tenant(h, kTenantA, "secret-a");
  Uuid tenant_usd = make_asset(h, kTenantA, "USD");
  Uuid operator_usd = make_asset(h, kOperatorTenantId, "USD");
  auto with_endpoint = [](json::object input, const std::string& endpoint) {
    input["http"].as_object()["outgoing"].as_object()["endpoint"] = endpoint;
    return input;
  };
  for (const char* endpoint : {"http://169.254.169.254/ilp", "http://[fe80::1]:3002/ilp",
                               "http://127.0.0.1:3002/ilp", "http://10.1.2.3/ilp",
                               "http://[::ffff:127.0.0.1]/ilp"}) {
    auto r = h.gql(kCreate,
                   {{"input", with_endpoint(peer_input(tenant_usd, "test.peer-a"), endpoint)}},
                   as_tenant(kTenantA));
    EXPECT_EQ(error_code(r), "BAD_USER_INPUT") << endpoint << ": " << json::serialize(r);
    EXPECT_NE(error_message(r).find("URL not allowed"), std::string::npos) << error_message(r);
    // The operator creating it on the tenant's asset: the peer is still the tenant's.
    auto by_operator = h.gql(
        kCreate, {{"input", with_endpoint(peer_input(tenant_usd, "test.peer-a"), endpoint)}});
    EXPECT_EQ(error_code(by_operator), "BAD_USER_INPUT");
  }
  EXPECT_EQ(peer_count(h), "0");
  // Host names are checked where they resolve, when connecting.
  auto named = create_peer(h, with_endpoint(peer_input(tenant_usd, "test.peer-a"),
                                            "https://peer-a.example/ilp"),
                           as_tenant(kTenantA));
  ASSERT_TRUE(named.contains("id"));
  json::object outgoing{{"authToken", "t"}, {"endpoint", "http://169.254.169.254/"}};
  json::object update{{"id", named.at("id")}, {"http", {{"outgoing", outgoing}}}};
  auto moved = h.gql(kUpdate, {{"input", update}}, as_tenant(kTenantA));
  EXPECT_EQ(error_code(moved), "BAD_USER_INPUT") << json::serialize(moved);
  EXPECT_EQ(h.db().query_value("SELECT outgoing_endpoint FROM peers WHERE id = '" +
                               std::string(named.at("id").as_string()) + "'"),
            "https://peer-a.example/ilp");
  // The operator's own peers may point anywhere.
  auto operators = create_peer(h, peer_input(operator_usd, "test.peer-b"));
  EXPECT_TRUE(operators.contains("id"));
  // Auto-peering by URL: the tenant's peer URL obeys the same policy; nothing is sent.
  json::object by_url = {{"assetId", tenant_usd.str()},
                         {"peerUrl", "http://169.254.169.254/peering"}};
  auto refused = h.gql(kByUrl, {{"input", by_url}}, as_tenant(kTenantA));
  EXPECT_EQ(error_code(refused), "BAD_USER_INPUT") << json::serialize(refused);
  // With TENANT_OUTBOUND_ALLOW_PRIVATE, loopback and private ranges are the tenant's to use,
  // link-local ones still not.
  h.backend().outbound = OutboundPolicy(*Uuid::parse(kOperatorTenantId), true);
  auto loopback = create_peer(h, with_endpoint(peer_input(tenant_usd, "test.peer-c"),
                                               "http://127.0.0.1:3002/ilp"),
                              as_tenant(kTenantA));
  EXPECT_TRUE(loopback.contains("id"));
  auto link_local = h.gql(kCreate,
                          {{"input", with_endpoint(peer_input(tenant_usd, "test.peer-d"),
                                                   "http://169.254.169.254/ilp")}},
                          as_tenant(kTenantA));
  EXPECT_EQ(error_code(link_local), "BAD_USER_INPUT");
  EXPECT_EQ(peer_count(h), "3");
}

}  // namespace
}  // namespace rafiki::backend::test
