// The operator's outbound policy on peers: a tenant's peer endpoint (and auto-peering URL) may
// not be a literal forbidden address; the operator's peers may point anywhere.
#include "backend/peer/util.h"

namespace rafiki::backend::test::peer_test {
namespace {

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

// The peer domain's error table repeats, one entry per refused address class, the message the
// policy gives (the Admin API answers it byte for byte).
TEST(PeerOutboundPolicy, ForbiddenEndpointMessagesAreThePolicysOwn) {
  const OutboundPolicy policy(*Uuid::parse(kOperatorTenantId), false);
  const Uuid tenant = *Uuid::parse(kTenantA);
  const std::pair<const char*, peer::PeerError> cases[] = {
      {"http://127.0.0.1:3002/ilp", peer::PeerError::kForbiddenEndpointLoopback},
      {"http://10.1.2.3/ilp", peer::PeerError::kForbiddenEndpointPrivate},
      {"http://169.254.169.254/ilp", peer::PeerError::kForbiddenEndpointLinkLocal},
      {"http://0.0.0.0:6379/", peer::PeerError::kForbiddenEndpointReserved},
  };
  for (const auto& [url, error] : cases) {
    auto checked = policy.check_url(tenant, url);
    ASSERT_FALSE(checked) << url;
    EXPECT_EQ(checked.error().message, peer::describe(error).message) << url;
    EXPECT_EQ(peer::describe(error).graphql_code, code::kBadUserInput);
  }
}

}  // namespace
}  // namespace rafiki::backend::test::peer_test
