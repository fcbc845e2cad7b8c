#include "backend/liquidity/store.h"

#include <string>

namespace rafiki::backend::liquidity {

namespace asio = boost::asio;

namespace {

AccountTransfer from_row(const store::PgRow& row) {
  AccountTransfer t;
  t.id = row.get<Uuid>("id");
  t.debit_account_id = row.get<Uuid>("debit_account_id");
  t.credit_account_id = row.get<Uuid>("credit_account_id");
  t.amount = row.get<money::u128>("amount");
  const auto code = row.get<std::int32_t>("code");
  t.type = code == transfer_code::kDeposit      ? TransferType::kDeposit
           : code == transfer_code::kWithdrawal ? TransferType::kWithdrawal
                                                : TransferType::kTransfer;
  t.ledger = row.get<std::int64_t>("ledger");
  t.created_at = row.get<TimePoint>("created_at");
  t.pending = row.get<std::int32_t>("state") == 1;
  t.expires_at = row.get<std::optional<TimePoint>>("expires_at");
  return t;
}

}  // namespace

asio::awaitable<Result<std::optional<Uuid>>> LiquidityStore::account_owner(Uuid account) {
  auto rows = co_await pg_.query("SELECT ledger_account_tenant($1) AS owner", account);
  if (!rows) co_return std::unexpected(rows.error());
  co_return rows->row(0).get<std::optional<Uuid>>("owner");
}

asio::awaitable<Result<std::vector<AccountTransfer>>> LiquidityStore::transfers(
    Uuid account, Side side, std::int64_t limit) {
  const char* column = side == Side::kDebit ? "debit" : "credit";
  auto rows = co_await pg_.query(
      std::string("SELECT id, debit_account_id, credit_account_id, amount, code::int AS code, "
                  "ledger, created_at, state::int AS state, expires_at "
                  "FROM ledger_transfers WHERE ") +
          column +
          "_account_id = $1 AND pending_id IS NULL "
          "AND (state IN (0, 2) OR (state = 1 AND (expires_at IS NULL OR expires_at > now()))) "
          "ORDER BY created_at, id LIMIT $2",
      account, limit);
  if (!rows) co_return std::unexpected(rows.error());
  std::vector<AccountTransfer> out;
  for (const auto& row : *rows) out.push_back(from_row(row));
  co_return out;
}

}  // namespace rafiki::backend::liquidity
