// Peer liquidity through the Admin API (reference/admin-api.md §9.2, §9.3): deposits and
// withdrawals, once per idempotency key and transfer id, within the tenant's own peers.
#include "backend/peer/util.h"

namespace rafiki::backend::test::peer_test {
namespace {

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

}  // namespace
}  // namespace rafiki::backend::test::peer_test
