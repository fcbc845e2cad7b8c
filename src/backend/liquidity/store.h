// The liquidity domain's SQL. It has no tables of its own: it reads the ledger's transfers of an
// account (ledger_transfers) and who owns an account (the database function
// ledger_account_tenant, which knows every table that owns ledger accounts). Nothing here
// decides anything.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <vector>

#include "backend/liquidity/model.h"
#include "base/errors.h"
#include "store/pg.h"

namespace rafiki::backend::liquidity {

class LiquidityStore {
 public:
  explicit LiquidityStore(store::PgPool pg) : pg_(std::move(pg)) {}

  // The tenant owning a ledger account; nullopt when no owner is known.
  boost::asio::awaitable<Result<std::optional<Uuid>>> account_owner(Uuid account);

  enum class Side { kDebit, kCredit };
  // Up to `limit` posted and still-pending (not expired) transfers with the account on `side`,
  // oldest first; post/void records of two-phase transfers are not listed.
  boost::asio::awaitable<Result<std::vector<AccountTransfer>>> transfers(Uuid account, Side side,
                                                                         std::int64_t limit);

 private:
  store::PgPool pg_;
};

}  // namespace rafiki::backend::liquidity
