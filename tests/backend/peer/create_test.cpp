// The peer domain through the Admin API (reference/admin-api.md §8): createPeer with every
// error code and message, write-only incoming tokens, idempotency; peer and peers with tenant
// scoping and paging.
#include "backend/peer/util.h"

namespace rafiki::backend::test::peer_test {
namespace {

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

}  // namespace
}  // namespace rafiki::backend::test::peer_test
