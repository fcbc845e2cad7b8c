// updatePeer through the Admin API: partial updates, replaced tokens and routes, errors and
// tenancy.
#include "backend/peer/util.h"

namespace rafiki::backend::test::peer_test {
namespace {

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

}  // namespace
}  // namespace rafiki::backend::test::peer_test
