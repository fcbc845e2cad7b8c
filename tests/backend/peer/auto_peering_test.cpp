// Auto-peering (reference/connector.md §9): createOrUpdatePeerByUrl against another instance's
// server on loopback, with every failure mapped; and our own auto-peering server, alone and
// with our client.
#include "backend/peer/util.h"

namespace rafiki::backend::test::peer_test {
namespace {

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

}  // namespace
}  // namespace rafiki::backend::test::peer_test
