// deletePeer through the Admin API: the signature tenant's peers only, refused while the peer
// holds liquidity, and ordered with ledger batches and deposits on the peer's account so that
// money is never stranded.
#include "backend/peer/util.h"

namespace rafiki::backend::test::peer_test {
namespace {

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

}  // namespace
}  // namespace rafiki::backend::test::peer_test
