// Tenant isolation on the ILP path, against the real connector (every stage, the real ledger,
// peers and wallet addresses made through the Admin API): a tenant's peer pays only that
// tenant's wallet addresses. A STREAM token one tenant's SPSP answer issued, moved under another
// tenant's address or sent through another tenant's peer, is refused with nothing moved.
#include <gtest/gtest.h>

#include "backend/admin_harness.h"
#include "backend/core/domains.h"
#include "base/encoding.h"
#include "ilp/error_codes.h"
#include "ilp/packet.h"
#include "ilp/stream/receiver.h"
#include "ilp/stream_test_support.h"
#include "net/router.h"

namespace rafiki::backend::test {
namespace {

const char* kTenantT = "d4d4d4d4-0000-4000-8000-000000000004";  // its own ILP address
const char* kTenantU = "e5e5e5e5-0000-4000-8000-000000000005";  // the operator's ILP address

void add_tenant_with(AdminHarness& h, const char* id, const std::string& ilp_address,
                     const std::string& wallet_address_url) {
  h.db().exec(std::string("INSERT INTO tenants (id, api_secret) VALUES ('") + id + "', 's-" + id +
              "')");
  for (const auto& [key, value] : {std::pair<std::string, std::string>{"ILP_ADDRESS", ilp_address},
                                   {"WALLET_ADDRESS_URL", wallet_address_url}}) {
    h.db().exec("INSERT INTO tenant_settings (id, tenant_id, key, value) VALUES (gen_random_uuid(), '" +
                std::string(id) + "', '" + key + "', '" + value + "')");
  }
}

AdminContext as(const char* id) {
  AdminContext c;
  c.tenant_id = *Uuid::parse(id);
  c.is_operator = std::string(id) == kOperatorTenantId;
  return c;
}

std::string create_asset(AdminHarness& h, const char* tenant) {
  json::object input{{"code", "USD"}, {"scale", 2}};
  auto data = data_of(h.gql("mutation($input: CreateAssetInput!) { createAsset(input: $input) "
                            "{ asset { id } } }",
                            {{"input", input}}, as(tenant)),
                      "createAsset");
  return std::string(data.at("asset").at("id").as_string());
}

std::string create_peer(AdminHarness& h, const char* tenant, const std::string& asset,
                        const std::string& address, const std::string& incoming_token) {
  json::object http{{"outgoing", json::object{{"authToken", "out-" + incoming_token},
                                              {"endpoint", "http://peer.example:3002/ilp"}}},
                    {"incoming", json::object{{"authTokens", json::array{json::string(incoming_token)}}}}};
  json::object input{{"assetId", asset},
                     {"staticIlpAddress", address},
                     {"http", http},
                     {"initialLiquidity", "100000"}};
  auto data = data_of(h.gql("mutation($input: CreatePeerInput!) { createPeer(input: $input) "
                            "{ peer { id } } }",
                            {{"input", input}}, as(tenant)),
                      "createPeer");
  return std::string(data.at("peer").at("id").as_string());
}

std::string create_wallet(AdminHarness& h, const char* tenant, const std::string& asset,
                          const std::string& url) {
  json::object input{{"assetId", asset}, {"address", url}};
  auto data = data_of(h.gql("mutation($input: CreateWalletAddressInput!) { "
                            "createWalletAddress(input: $input) { walletAddress { id } } }",
                            {{"input", input}}, as(tenant)),
                      "createWalletAddress");
  return std::string(data.at("walletAddress").at("id").as_string());
}

// Every non-zero balance and the number of transfers: what "nothing moved" compares.
std::string ledger_state(AdminHarness& h) {
  return h.db().query_value(
             "SELECT coalesce(string_agg(id || ':' || debits_posted || '/' || credits_posted || "
             "'/' || debits_pending || '/' || credits_pending, ',' ORDER BY id), '') FROM "
             "ledger_accounts WHERE debits_posted + credits_posted + debits_pending + "
             "credits_pending > 0") +
         " transfers=" + h.db().query_value("SELECT count(*) FROM ledger_transfers");
}

std::string credits_posted(AdminHarness& h, const std::string& account) {
  return h.db().query_value("SELECT coalesce((SELECT credits_posted FROM ledger_accounts WHERE id = '" +
                            account + "'), 0)");
}

struct Connection {
  std::string address;
  ilp::stream::ConnectionKeys keys;
};

// A STREAM connection to `wallet` as the backend's SPSP answer issues it under `address`.
Connection connect(AdminHarness& h, const std::string& address, const std::string& wallet) {
  ilp::stream::ReceiverOptions options;
  options.bind_token_to_address = true;
  auto receiver = ilp::stream::Receiver::create(
      *encoding::base64_decode(h.backend().config.stream_secret), address, options);
  if (!receiver) throw std::runtime_error(receiver.error().message);
  ilp::stream::ConnectionDetails details;
  details.payment_tag = wallet;
  auto credentials = receiver->generate_credentials(details);
  if (!credentials) throw std::runtime_error(credentials.error().message);
  Connection c;
  c.address = credentials->ilp_address;
  c.keys = *ilp::stream::derive_keys(credentials->shared_secret);
  return c;
}

struct Sent {
  bool fulfilled = false;
  std::string code;
};

// One Prepare of `amount` to `destination`, encrypted for `keys`, through the peer owning
// `token`, over the connector's ILP-over-HTTP route.
Sent send(AdminHarness& h, net::Router& connector, const std::string& token,
          const ilp::stream::ConnectionKeys& keys, const std::string& destination,
          std::uint64_t amount) {
  ilp::stream::Packet packet;
  packet.sequence = 1;
  Bytes prepare = ilp::stream::testing::make_prepare(keys, destination, amount, packet);
  net::Request request;
  request.method = net::Method::kPost;
  request.path = request.target = "/ilp";
  request.headers.set("Authorization", "Bearer " + token);
  request.headers.set("Content-Type", "application/octet-stream");
  request.body = to_string(prepare);
  auto handler = connector.handler();
  net::Response response = h.wait(handler(request));
  if (response.status != 200) throw std::runtime_error("ILP over HTTP answered " + response.body);
  auto reply = ilp::decode_reply(as_bytes(response.body));
  if (!reply) throw std::runtime_error("not an ILP reply");
  Sent sent;
  if (std::holds_alternative<ilp::Fulfill>(*reply)) {
    sent.fulfilled = true;
  } else {
    sent.code = std::string(std::get<ilp::Reject>(*reply).code);
  }
  return sent;
}

TEST(ConnectorTenancy, APeerPaysOnlyItsOwnTenantsWalletAddresses) {
  AdminHarness h;
  add_tenant_with(h, kTenantT, "test.tenant-t", "https://t.example");
  add_tenant_with(h, kTenantU, "test.rafiki", "https://u.example");  // the operator's address
  net::Router connector_router;
  Mount mount;
  mount.connector = &connector_router;
  connector::install(h.backend(), mount);

  const std::string op_asset = create_asset(h, kOperatorTenantId);
  const std::string t_asset = create_asset(h, kTenantT);
  const std::string u_asset = create_asset(h, kTenantU);
  create_peer(h, kOperatorTenantId, op_asset, "test.peer-o", "tok-o");
  create_peer(h, kTenantT, t_asset, "test.peer-t", "tok-t");
  create_peer(h, kTenantU, u_asset, "test.peer-u", "tok-u");
  const std::string alice = create_wallet(h, kOperatorTenantId, op_asset, "https://op.example/alice");
  const std::string bob = create_wallet(h, kTenantT, t_asset, "https://t.example/bob");

  Connection to_alice = connect(h, "test.rafiki", alice);
  const std::string token = to_alice.address.substr(std::string("test.rafiki.").size());
  const std::string before = ledger_state(h);

  // The operator's token moved under tenant T's address, through T's peer: the token is bound
  // to test.rafiki, so it does not decode there and nothing routes it.
  Sent moved = send(h, connector_router, "tok-t", to_alice.keys, "test.tenant-t." + token, 100);
  EXPECT_FALSE(moved.fulfilled);
  EXPECT_EQ(moved.code, ilp::kF02Unreachable);
  // The same token as issued, through T's peer: not T's address, so not local; no route.
  Sent as_issued = send(h, connector_router, "tok-t", to_alice.keys, to_alice.address, 100);
  EXPECT_EQ(as_issued.code, ilp::kF02Unreachable);
  // Tenant U shares the operator's ILP address (and so decodes the token): the wallet address
  // belongs to the operator, so U's peer may not pay it.
  Sent shared = send(h, connector_router, "tok-u", to_alice.keys, to_alice.address, 100);
  EXPECT_FALSE(shared.fulfilled);
  EXPECT_EQ(shared.code, ilp::kF02Unreachable);
  EXPECT_EQ(ledger_state(h), before);
  EXPECT_EQ(credits_posted(h, alice), "0");

  // The honest paths still pay.
  Sent honest = send(h, connector_router, "tok-o", to_alice.keys, to_alice.address, 100);
  EXPECT_TRUE(honest.fulfilled) << honest.code;
  EXPECT_EQ(credits_posted(h, alice), "100");
  Connection to_bob = connect(h, "test.tenant-t", bob);
  Sent bobs = send(h, connector_router, "tok-t", to_bob.keys, to_bob.address, 40);
  EXPECT_TRUE(bobs.fulfilled) << bobs.code;
  EXPECT_EQ(credits_posted(h, bob), "40");
  // Bob's token through the operator's peer: another tenant's wallet address.
  Sent crossing = send(h, connector_router, "tok-o", to_bob.keys, to_bob.address, 40);
  EXPECT_FALSE(crossing.fulfilled);
  EXPECT_EQ(credits_posted(h, bob), "40");
}

}  // namespace
}  // namespace rafiki::backend::test
