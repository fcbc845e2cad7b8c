// Asset liquidity through the Admin API: deposits, single-phase and two-phase withdrawals
// (post, void, expiry), upstream's error codes and messages, idempotency keys (sequential and
// concurrent) and ledger-level transfer ids, balances that never go below zero under
// concurrent withdrawals, tenant scoping, accountingTransfers, and the double-entry invariant.
#include <gtest/gtest.h>

#include "backend/asset/asset_test_util.h"
#include "backend/asset/service.h"
#include "backend/liquidity/service.h"

namespace rafiki::backend::test {
namespace {

using namespace assets;

const char* kDeposit =
    "mutation($input: DepositAssetLiquidityInput!) { depositAssetLiquidity(input: $input) { success } }";
const char* kWithdraw =
    "mutation($input: CreateAssetLiquidityWithdrawalInput!) {"
    " createAssetLiquidityWithdrawal(input: $input) { success } }";
const char* kPost =
    "mutation($input: PostLiquidityWithdrawalInput!) { postLiquidityWithdrawal(input: $input) { success } }";
const char* kVoid =
    "mutation($input: VoidLiquidityWithdrawalInput!) { voidLiquidityWithdrawal(input: $input) { success } }";
const char* kTransfers =
    "query($id: String!, $limit: Int) { accountingTransfers(id: $id, limit: $limit) {"
    " debits { id debitAccountId creditAccountId amount transferType ledger createdAt state expiresAt }"
    " credits { id amount transferType state } } }";

json::object deposit_input(const std::string& asset, json::value amount, std::string id = "",
                           std::string key = "") {
  json::object o;
  o["assetId"] = asset;
  o["amount"] = std::move(amount);
  o["id"] = id.empty() ? Uuid::v4().str() : id;
  o["idempotencyKey"] = key.empty() ? Uuid::v4().str() : key;
  return o;
}

json::object withdraw_input(const std::string& asset, json::value amount, json::value timeout,
                            std::string id = "") {
  json::object o = deposit_input(asset, std::move(amount), std::move(id));
  o["timeoutSeconds"] = std::move(timeout);
  return o;
}

json::object resolve_input(const std::string& withdrawal) {
  json::object o;
  o["withdrawalId"] = withdrawal;
  o["idempotencyKey"] = Uuid::v4().str();
  return o;
}

bool succeeded(const json::object& response, std::string_view field) {
  auto v = data_of(response, field);
  return v.is_object() && v.at("success").as_bool();
}

std::string asset_liquidity(AdminHarness& h, const std::string& asset) {
  auto a = data_of(h.gql("query($id: String!) { asset(id: $id) { liquidity } }", {{"id", asset}}),
                   "asset");
  return a.is_object() ? std::string(a.at("liquidity").as_string()) : "?";
}

std::string transfer_count(AdminHarness& h) {
  return h.db().query_value("SELECT count(*) FROM ledger_transfers");
}

TEST(AdminLiquidity, DepositAndSinglePhaseWithdrawalMoveMoney) {
  AdminHarness h;
  const std::string asset = create_asset(h, "USD", 2);
  const std::string dep = Uuid::v4().str();
  EXPECT_TRUE(succeeded(h.gql(kDeposit, {{"input", deposit_input(asset, "100", dep)}}),
                        "depositAssetLiquidity"));
  EXPECT_EQ(asset_liquidity(h, asset), "100");
  const std::string wd = Uuid::v4().str();
  EXPECT_TRUE(succeeded(h.gql(kWithdraw, {{"input", withdraw_input(asset, "30", "0", wd)}}),
                        "createAssetLiquidityWithdrawal"));
  EXPECT_EQ(asset_liquidity(h, asset), "70");
  EXPECT_EQ(liquidity_of(h, asset), "70");
  // A single-phase withdrawal is final: nothing to post.
  auto post = h.gql(kPost, {{"input", resolve_input(wd)}});
  EXPECT_EQ(error_code(post), "NOT_FOUND");
  EXPECT_EQ(error_message(post), "Unknown transfer");

  auto transfers = data_of(h.gql(kTransfers, {{"id", asset}}), "accountingTransfers");
  ASSERT_EQ(transfers.at("credits").as_array().size(), 1u);
  ASSERT_EQ(transfers.at("debits").as_array().size(), 1u);
  const auto& credit = transfers.at("credits").as_array()[0];
  EXPECT_EQ(credit.at("id").as_string(), dep);
  EXPECT_EQ(credit.at("amount").as_string(), "100");
  EXPECT_EQ(credit.at("transferType").as_string(), "DEPOSIT");
  EXPECT_EQ(credit.at("state").as_string(), "POSTED");
  const auto& debit = transfers.at("debits").as_array()[0];
  EXPECT_EQ(debit.at("id").as_string(), wd);
  EXPECT_EQ(debit.at("debitAccountId").as_string(), asset);
  EXPECT_EQ(debit.at("transferType").as_string(), "WITHDRAWAL");
  EXPECT_TRUE(debit.at("expiresAt").is_null());
  EXPECT_EQ(std::to_string(debit.at("ledger").as_int64()),
            h.db().query_value("SELECT ledger FROM assets"));
  EXPECT_EQ(unbalanced_ledgers(h), "0");
}

TEST(AdminLiquidity, BadInputMovesNoMoney) {
  AdminHarness h;
  const std::string asset = create_asset(h, "USD", 2);
  ASSERT_TRUE(succeeded(h.gql(kDeposit, {{"input", deposit_input(asset, "50")}}), "depositAssetLiquidity"));
  const std::string before = transfer_count(h);
  auto expect = [&](const json::object& r, const char* code, const char* message) {
    EXPECT_EQ(error_code(r), code) << json::serialize(r);
    if (message) {
      EXPECT_EQ(error_message(r), message);
    }
  };
  // Amount zero.
  expect(h.gql(kDeposit, {{"input", deposit_input(asset, "0")}}), "FORBIDDEN", "Transfer amount is zero");
  expect(h.gql(kWithdraw, {{"input", withdraw_input(asset, "0", "0")}}), "FORBIDDEN",
         "Transfer amount is zero");
  // Negative and overflowing amounts never pass the UInt64 scalar.
  for (const char* amount : {"-1", "18446744073709551616", "1.5", "abc"}) {
    expect(h.gql(kDeposit, {{"input", deposit_input(asset, amount)}}), "BAD_USER_INPUT", nullptr);
    expect(h.gql(kWithdraw, {{"input", withdraw_input(asset, amount, "0")}}), "BAD_USER_INPUT", nullptr);
  }
  expect(h.gql(kWithdraw, {{"input", withdraw_input(asset, "1", "-1")}}), "BAD_USER_INPUT", nullptr);
  expect(h.gql(kWithdraw, {{"input", withdraw_input(asset, "1", "4294967296")}}), "BAD_USER_INPUT",
         "Invalid transfer timeout provided");
  // Transfer ids must be UUIDv4.
  for (const char* id : {"not-a-uuid", "00000000-0000-0000-0000-000000000000",
                         "a1a1a1a1-0000-1000-8000-000000000001"}) {
    expect(h.gql(kDeposit, {{"input", deposit_input(asset, "1", id)}}), "BAD_USER_INPUT",
           "Invalid transfer id");
    expect(h.gql(kWithdraw, {{"input", withdraw_input(asset, "1", "0", id)}}), "BAD_USER_INPUT",
           "Invalid transfer id");
    expect(h.gql(kPost, {{"input", resolve_input(id)}}), "BAD_USER_INPUT", "Invalid transfer id");
    expect(h.gql(kVoid, {{"input", resolve_input(id)}}), "BAD_USER_INPUT", "Invalid transfer id");
  }
  // Unknown assets.
  for (std::string bad : {Uuid::v4().str(), std::string("nope")}) {
    expect(h.gql(kDeposit, {{"input", deposit_input(bad, "1")}}), "NOT_FOUND", "Unknown asset");
    expect(h.gql(kWithdraw, {{"input", withdraw_input(bad, "1", "0")}}), "NOT_FOUND", "Unknown asset");
  }
  // Unknown withdrawals.
  expect(h.gql(kPost, {{"input", resolve_input(Uuid::v4().str())}}), "NOT_FOUND", "Unknown transfer");
  expect(h.gql(kVoid, {{"input", resolve_input(Uuid::v4().str())}}), "NOT_FOUND", "Unknown transfer");
  // More than the balance.
  expect(h.gql(kWithdraw, {{"input", withdraw_input(asset, "51", "0")}}), "FORBIDDEN",
         "Insufficient transfer balance");
  expect(h.gql(kWithdraw, {{"input", withdraw_input(asset, "51", "60")}}), "FORBIDDEN",
         "Insufficient transfer balance");
  // A deleted asset takes no liquidity.
  const std::string gone = create_asset(h, "EUR", 2);
  h.gql("mutation($id: ID!) { deleteAsset(input: {id: $id}) { asset { id } } }", {{"id", gone}});
  expect(h.gql(kDeposit, {{"input", deposit_input(gone, "1")}}), "NOT_FOUND", "Unknown asset");

  EXPECT_EQ(transfer_count(h), before);
  EXPECT_EQ(liquidity_of(h, asset), "50");
  EXPECT_EQ(unbalanced_ledgers(h), "0");
}

TEST(AdminLiquidity, TransferIdsAreUsedOnce) {
  AdminHarness h;
  const std::string asset = create_asset(h, "USD", 2);
  const std::string id = Uuid::v4().str();
  ASSERT_TRUE(succeeded(h.gql(kDeposit, {{"input", deposit_input(asset, "10", id)}}), "depositAssetLiquidity"));
  // Same transfer id, new idempotency key: refused by the ledger, even with identical fields.
  auto again = h.gql(kDeposit, {{"input", deposit_input(asset, "10", id)}});
  EXPECT_EQ(error_code(again), "DUPLICATE");
  EXPECT_EQ(error_message(again), "Transfer already exists");
  // The field is nullable: the error nulls it, not the whole data.
  EXPECT_TRUE(again.at("data").at("depositAssetLiquidity").is_null());
  auto as_withdrawal = h.gql(kWithdraw, {{"input", withdraw_input(asset, "5", "0", id)}});
  EXPECT_EQ(error_code(as_withdrawal), "DUPLICATE");
  EXPECT_EQ(liquidity_of(h, asset), "10");
  EXPECT_EQ(unbalanced_ledgers(h), "0");
}

TEST(AdminLiquidity, TwoPhaseWithdrawalsArePostedVoidedOrExpire) {
  AdminHarness h;
  const std::string asset = create_asset(h, "USD", 2);
  ASSERT_TRUE(succeeded(h.gql(kDeposit, {{"input", deposit_input(asset, "100")}}), "depositAssetLiquidity"));

  const std::string posted = Uuid::v4().str();
  ASSERT_TRUE(succeeded(h.gql(kWithdraw, {{"input", withdraw_input(asset, "40", "60", posted)}}),
                        "createAssetLiquidityWithdrawal"));
  EXPECT_EQ(asset_liquidity(h, asset), "60");  // reserved at once
  auto pending = data_of(h.gql(kTransfers, {{"id", asset}}), "accountingTransfers").at("debits");
  ASSERT_EQ(pending.as_array().size(), 1u);
  EXPECT_EQ(pending.as_array()[0].at("state").as_string(), "PENDING");
  EXPECT_FALSE(pending.as_array()[0].at("expiresAt").is_null());
  EXPECT_TRUE(succeeded(h.gql(kPost, {{"input", resolve_input(posted)}}), "postLiquidityWithdrawal"));
  EXPECT_EQ(asset_liquidity(h, asset), "60");
  auto again = h.gql(kPost, {{"input", resolve_input(posted)}});
  EXPECT_EQ(error_code(again), "CONFLICT");
  EXPECT_EQ(error_message(again), "Transfer already posted");
  auto void_posted = h.gql(kVoid, {{"input", resolve_input(posted)}});
  EXPECT_EQ(error_code(void_posted), "CONFLICT");
  EXPECT_EQ(error_message(void_posted), "Transfer already posted");
  auto after = data_of(h.gql(kTransfers, {{"id", asset}}), "accountingTransfers").at("debits");
  ASSERT_EQ(after.as_array().size(), 1u);
  EXPECT_EQ(after.as_array()[0].at("state").as_string(), "POSTED");

  const std::string voided = Uuid::v4().str();
  ASSERT_TRUE(succeeded(h.gql(kWithdraw, {{"input", withdraw_input(asset, "25", "60", voided)}}),
                        "createAssetLiquidityWithdrawal"));
  EXPECT_EQ(asset_liquidity(h, asset), "35");
  EXPECT_TRUE(succeeded(h.gql(kVoid, {{"input", resolve_input(voided)}}), "voidLiquidityWithdrawal"));
  EXPECT_EQ(asset_liquidity(h, asset), "60");
  auto void_again = h.gql(kVoid, {{"input", resolve_input(voided)}});
  EXPECT_EQ(error_code(void_again), "CONFLICT");
  EXPECT_EQ(error_message(void_again), "Transfer already voided");
  auto post_voided = h.gql(kPost, {{"input", resolve_input(voided)}});
  EXPECT_EQ(error_message(post_voided), "Transfer already voided");
  // Voided withdrawals are not listed.
  EXPECT_EQ(data_of(h.gql(kTransfers, {{"id", asset}}), "accountingTransfers").at("debits").as_array().size(),
            1u);

  // A pending withdrawal past its timeout is released and can no longer be posted.
  const std::string expired = Uuid::v4().str();
  ASSERT_TRUE(succeeded(h.gql(kWithdraw, {{"input", withdraw_input(asset, "20", "60", expired)}}),
                        "createAssetLiquidityWithdrawal"));
  EXPECT_EQ(asset_liquidity(h, asset), "40");
  h.db().exec("UPDATE ledger_transfers SET expires_at = now() - interval '1 second' WHERE id = '" +
              expired + "'");
  EXPECT_EQ(data_of(h.gql(kTransfers, {{"id", asset}}), "accountingTransfers").at("debits").as_array().size(),
            1u);
  auto swept = h.wait(h.backend().ledger.sweep_expired());
  ASSERT_TRUE(swept);
  EXPECT_EQ(*swept, 1u);
  EXPECT_EQ(asset_liquidity(h, asset), "60");
  auto post_expired = h.gql(kPost, {{"input", resolve_input(expired)}});
  EXPECT_EQ(error_code(post_expired), "FORBIDDEN");
  EXPECT_EQ(error_message(post_expired), "Transfer already expired");
  EXPECT_EQ(error_message(h.gql(kVoid, {{"input", resolve_input(expired)}})), "Transfer already expired");
  EXPECT_EQ(unbalanced_ledgers(h), "0");
}

TEST(AdminLiquidity, OnlyWithdrawalsArePostedOrVoided) {
  AdminHarness h;
  const std::string asset = create_asset(h, "USD", 2);
  ASSERT_TRUE(succeeded(h.gql(kDeposit, {{"input", deposit_input(asset, "100")}}), "depositAssetLiquidity"));
  // A pending transfer that is not a withdrawal (as a payment's would be): not ours to resolve.
  auto a = *Uuid::parse(asset);
  ledger::Transfer t;
  t.id = Uuid::v4();
  t.debit_account_id = a;
  t.credit_account_id = *Uuid::parse(h.db().query_value("SELECT settlement_account_id FROM assets WHERE id = '" + asset + "'"));
  t.amount = 5;
  t.ledger = static_cast<std::uint32_t>(std::stoi(h.db().query_value("SELECT ledger FROM assets WHERE id = '" + asset + "'")));
  t.code = liquidity::transfer_code::kTransfer;
  t.kind = ledger::TransferKind::kPending;
  t.timeout_seconds = 60;
  auto transfers = std::vector<ledger::Transfer>{t};
  auto created = h.wait(h.backend().ledger.create_transfers(std::move(transfers)));
  ASSERT_TRUE(created);
  ASSERT_EQ(created->front(), ledger::CreateTransferResult::kOk);
  auto post = h.gql(kPost, {{"input", resolve_input(t.id.str())}});
  EXPECT_EQ(error_code(post), "NOT_FOUND");
  EXPECT_EQ(error_message(post), "Unknown transfer");
  EXPECT_EQ(error_code(h.gql(kVoid, {{"input", resolve_input(t.id.str())}})), "NOT_FOUND");
  EXPECT_EQ(liquidity_of(h, asset), "95");
}

TEST(AdminLiquidity, CreateAccountIsIdempotent) {
  AdminHarness h;
  const std::string asset = create_asset(h, "USD", 2);
  const auto ledger_number =
      static_cast<std::uint32_t>(std::stoi(h.db().query_value("SELECT ledger FROM assets")));
  const Uuid id = Uuid::v4();
  auto& liquidity = *h.backend().liquidity;
  EXPECT_TRUE(h.wait(liquidity.create_account(id, ledger_number, liquidity::account_code::kPeer)));
  EXPECT_TRUE(h.wait(liquidity.create_account(id, ledger_number, liquidity::account_code::kPeer)));
  EXPECT_FALSE(h.wait(liquidity.create_account(id, ledger_number, liquidity::account_code::kWalletAddress)));
  EXPECT_EQ(h.db().query_value("SELECT count(*) FROM ledger_accounts WHERE id = '" + id.str() + "'"), "1");
  auto balance = h.wait(liquidity.balance(id));
  ASSERT_TRUE(balance && *balance);
  EXPECT_EQ(**balance, 0u);
  auto missing = h.wait(liquidity.balance(Uuid::v4()));
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
  // The service checks what the Admin API checks too.
  auto a = h.wait(h.backend().assets->get(*Uuid::parse(asset)));
  ASSERT_TRUE(a && *a);
  auto zero = h.wait(liquidity.deposit(id, **a, 0, Uuid::v4()));
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error().domain(), liquidity::LiquidityError::kAmountZero);
  ASSERT_TRUE(h.wait(liquidity.deposit(id, **a, 7, Uuid::v4())));
  auto over = h.wait(liquidity.withdraw(id, **a, 8, Uuid::v4(), 0));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().domain(), liquidity::LiquidityError::kInsufficientBalance);
  EXPECT_EQ(describe(over.error().domain()).message, "Insufficient transfer balance");
  EXPECT_EQ(unbalanced_ledgers(h), "0");
}

TEST(AdminLiquidity, TenantsMoveOnlyTheirOwnAssetsLiquidity) {
  AdminHarness h;
  add_tenant(h, kTenantA);
  add_tenant(h, kTenantB);
  const std::string a = create_asset(h, "USD", 2, as_tenant(kTenantA));
  const std::string b = create_asset(h, "USD", 2, as_tenant(kTenantB));
  // The operator funds any tenant's asset; a tenant only its own.
  ASSERT_TRUE(succeeded(h.gql(kDeposit, {{"input", deposit_input(b, "100")}}), "depositAssetLiquidity"));
  ASSERT_TRUE(succeeded(h.gql(kDeposit, {{"input", deposit_input(a, "100")}}, as_tenant(kTenantA)),
                        "depositAssetLiquidity"));
  auto foreign = h.gql(kDeposit, {{"input", deposit_input(b, "1")}}, as_tenant(kTenantA));
  EXPECT_EQ(error_code(foreign), "NOT_FOUND");
  EXPECT_EQ(error_message(foreign), "Unknown asset");
  EXPECT_EQ(error_message(h.gql(kWithdraw, {{"input", withdraw_input(b, "1", "0")}}, as_tenant(kTenantA))),
            "Unknown asset");
  // B's pending withdrawal cannot be posted or voided by A; B and the operator can.
  const std::string wb = Uuid::v4().str();
  ASSERT_TRUE(succeeded(h.gql(kWithdraw, {{"input", withdraw_input(b, "10", "60", wb)}}, as_tenant(kTenantB)),
                        "createAssetLiquidityWithdrawal"));
  EXPECT_EQ(error_message(h.gql(kVoid, {{"input", resolve_input(wb)}}, as_tenant(kTenantA))), "Unknown transfer");
  EXPECT_EQ(error_message(h.gql(kPost, {{"input", resolve_input(wb)}}, as_tenant(kTenantA))), "Unknown transfer");
  EXPECT_TRUE(succeeded(h.gql(kPost, {{"input", resolve_input(wb)}}, as_tenant(kTenantB)), "postLiquidityWithdrawal"));
  const std::string wb2 = Uuid::v4().str();
  ASSERT_TRUE(succeeded(h.gql(kWithdraw, {{"input", withdraw_input(b, "10", "60", wb2)}}), "createAssetLiquidityWithdrawal"));
  EXPECT_TRUE(succeeded(h.gql(kVoid, {{"input", resolve_input(wb2)}}), "voidLiquidityWithdrawal"));
  // Ledger history: a tenant sees its own accounts' transfers only.
  auto own = data_of(h.gql(kTransfers, {{"id", b}}, as_tenant(kTenantB)), "accountingTransfers");
  EXPECT_EQ(own.at("credits").as_array().size(), 1u);
  EXPECT_EQ(own.at("debits").as_array().size(), 1u);
  auto other = data_of(h.gql(kTransfers, {{"id", b}}, as_tenant(kTenantA)), "accountingTransfers");
  EXPECT_EQ(other.at("credits").as_array().size(), 0u);
  EXPECT_EQ(other.at("debits").as_array().size(), 0u);
  // Asset.liquidity of a foreign asset read by the operator.
  EXPECT_EQ(asset_liquidity(h, b), "90");
  EXPECT_EQ(liquidity_of(h, a), "100");
  EXPECT_EQ(unbalanced_ledgers(h), "0");
}

TEST(AdminLiquidity, AccountingTransfersLimitAndBadInput) {
  AdminHarness h;
  const std::string asset = create_asset(h, "USD", 2);
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(succeeded(h.gql(kDeposit, {{"input", deposit_input(asset, json::string(std::to_string(i + 1)))}}),
                          "depositAssetLiquidity"));
  }
  auto two = data_of(h.gql(kTransfers, {{"id", asset}, {"limit", 2}}), "accountingTransfers");
  ASSERT_EQ(two.at("credits").as_array().size(), 2u);
  EXPECT_EQ(two.at("credits").as_array()[0].at("amount").as_string(), "1");  // oldest first
  EXPECT_EQ(data_of(h.gql(kTransfers, {{"id", asset}}), "accountingTransfers").at("credits").as_array().size(),
            4u);
  EXPECT_EQ(error_code(h.gql(kTransfers, {{"id", asset}, {"limit", 0}})), "BAD_USER_INPUT");
  EXPECT_EQ(error_code(h.gql(kTransfers, {{"id", asset}, {"limit", 1001}})), "BAD_USER_INPUT");
  for (std::string id : {Uuid::v4().str(), std::string("x")}) {
    auto none = data_of(h.gql(kTransfers, {{"id", id}}), "accountingTransfers");
    EXPECT_EQ(none.at("credits").as_array().size(), 0u);
    EXPECT_EQ(none.at("debits").as_array().size(), 0u);
  }
}

TEST(AdminLiquidity, OneIdempotencyKeyMovesMoneyOnce) {
  AdminHarness h(AdminHarness::Options{true, {}});
  const std::string asset = create_asset(h, "USD", 2);
  const std::string key = "deposit-" + Uuid::v4().str();
  auto input = deposit_input(asset, "25", "", key);
  // Twice in a row: the second gets the stored result.
  EXPECT_TRUE(succeeded(h.gql(kDeposit, {{"input", input}}), "depositAssetLiquidity"));
  EXPECT_TRUE(succeeded(h.gql(kDeposit, {{"input", input}}), "depositAssetLiquidity"));
  EXPECT_EQ(liquidity_of(h, asset), "25");
  // The same key with other arguments is refused.
  auto changed = deposit_input(asset, "26", std::string(input.at("id").as_string()), key);
  EXPECT_EQ(error_code(h.gql(kDeposit, {{"input", changed}})), "INTERNAL_SERVER_ERROR");

  // Ten at once with one key (and one transfer id): money moves once.
  const std::string key2 = "deposit-" + Uuid::v4().str();
  auto input2 = deposit_input(asset, "40", "", key2);
  std::vector<std::pair<std::string, json::object>> requests(10, {kDeposit, {{"input", input2}}});
  auto responses = gql_concurrently(h, requests);
  int ok = 0;
  for (const auto& r : responses) {
    if (error_code(r).empty()) ++ok;
    else EXPECT_EQ(error_message(r), "Concurrent request for idempotencyKey: " + key2);
  }
  EXPECT_GE(ok, 1);
  EXPECT_EQ(liquidity_of(h, asset), "65");
  // And withdrawals: one key, ten concurrent calls, one withdrawal.
  const std::string key3 = "withdraw-" + Uuid::v4().str();
  auto w = withdraw_input(asset, "15", "0");
  w["idempotencyKey"] = key3;
  std::vector<std::pair<std::string, json::object>> withdrawals(10, {kWithdraw, {{"input", w}}});
  gql_concurrently(h, withdrawals);
  EXPECT_TRUE(succeeded(h.gql(kWithdraw, {{"input", w}}), "createAssetLiquidityWithdrawal"));
  EXPECT_EQ(liquidity_of(h, asset), "50");
  EXPECT_EQ(h.db().query_value("SELECT count(*) FROM ledger_transfers"), "3");
  EXPECT_EQ(unbalanced_ledgers(h), "0");
}

TEST(AdminLiquidity, ConcurrentWithdrawalsNeverOverdraw) {
  AdminHarness h(AdminHarness::Options{true, {}});
  const std::string asset = create_asset(h, "USD", 2);
  ASSERT_TRUE(succeeded(h.gql(kDeposit, {{"input", deposit_input(asset, "100")}}), "depositAssetLiquidity"));
  for (const char* timeout : {"0", "60"}) {
    std::vector<std::pair<std::string, json::object>> requests;
    for (int i = 0; i < 10; ++i) {
      requests.push_back({kWithdraw, {{"input", withdraw_input(asset, "30", timeout)}}});
    }
    auto responses = gql_concurrently(h, requests);
    int ok = 0;
    for (const auto& r : responses) {
      if (error_code(r).empty()) {
        ++ok;
      } else {
        EXPECT_EQ(error_message(r), "Insufficient transfer balance") << json::serialize(r);
      }
    }
    if (std::string(timeout) == "0") {
      EXPECT_EQ(ok, 3);
      EXPECT_EQ(liquidity_of(h, asset), "10");
      // Top up for the two-phase round.
      ASSERT_TRUE(succeeded(h.gql(kDeposit, {{"input", deposit_input(asset, "90")}}), "depositAssetLiquidity"));
    } else {
      EXPECT_EQ(ok, 3);
      EXPECT_EQ(liquidity_of(h, asset), "10");
    }
  }
  EXPECT_EQ(h.db().query_value("SELECT debits_posted FROM ledger_accounts WHERE id = '" + asset + "'"), "90");
  EXPECT_EQ(h.db().query_value("SELECT debits_pending FROM ledger_accounts WHERE id = '" + asset + "'"), "90");
  EXPECT_EQ(unbalanced_ledgers(h), "0");
}

}  // namespace
}  // namespace rafiki::backend::test
