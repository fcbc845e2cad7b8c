// Assets: a currency (code + scale) owned by a tenant, with its own ledger number and the two
// ledger accounts every asset has — liquidity (account id = asset id) and settlement
// (settlement_account_id). Assets are soft-deleted (deleted_at) so their ledger history stays.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/money.h"
#include "base/time.h"
#include "base/uuid.h"

namespace rafiki::backend::asset {

// Ledger numbers are a PostgreSQL smallint, as upstream's smallserial.
constexpr std::uint32_t kLedgerMin = 1;
constexpr std::uint32_t kLedgerMax = 32767;
// Scales are a UInt8 in the schema.
constexpr int kScaleMax = 255;

struct Asset {
  Uuid id;
  std::string code;
  int scale = 0;
  std::uint32_t ledger = 0;
  Uuid settlement_account_id;
  Uuid tenant_id;
  std::optional<money::u128> withdrawal_threshold;
  std::optional<money::u128> liquidity_threshold;
  TimePoint created_at;
  std::optional<TimePoint> deleted_at;
};

}  // namespace rafiki::backend::asset
