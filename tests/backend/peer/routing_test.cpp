// The lookups the connector makes (PeerService::route, next_hop, by_incoming_token): the
// longest-prefix routing table and token index, read from the database or from the snapshot, and
// a change made by a second backend on the same database reaching the first one's snapshot
// through LISTEN/NOTIFY.
#include "backend/peer/util.h"

namespace rafiki::backend::test::peer_test {
namespace {

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

}  // namespace
}  // namespace rafiki::backend::test::peer_test
