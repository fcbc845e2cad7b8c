// Fees: per-asset sending and receiving fees (a fixed amount plus basis points of the amount),
// kept as a history — setting a fee inserts a row, and the newest row of each type is the fee
// in force. Quotes use active_fee(asset, kSending) (reference/admin-api.md §9.1).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <optional>
#include <string_view>

#include "base/errors.h"
#include "base/money.h"
#include "base/time.h"
#include "base/uuid.h"
#include "store/pg.h"

namespace rafiki::backend {
struct Backend;
}

namespace rafiki::backend::fee {

constexpr int kBasisPointsMax = 10'000;  // 100 %

// Error codes (Error::code), mapped by the Admin API.
inline constexpr std::string_view kFeeErrorUnknownAsset = "fee.unknown_asset";    // NOT_FOUND
inline constexpr std::string_view kFeeErrorBasisPoints = "fee.invalid_basis_points";  // BAD_USER_INPUT
inline constexpr std::string_view kFeeErrorFixed = "fee.invalid_fixed";  // BAD_USER_INPUT

enum class FeeType { kSending, kReceiving };

std::string_view to_string(FeeType type);  // "SENDING" / "RECEIVING"
std::optional<FeeType> parse_fee_type(std::string_view text);

struct Fee {
  Uuid id;
  Uuid asset_id;
  FeeType type = FeeType::kSending;
  money::u128 fixed = 0;
  int basis_points = 0;
  TimePoint created_at;
};

class FeeService {
 public:
  explicit FeeService(Backend& backend);

  // Inserts a new fee of `type` for the asset (any tenant's; deleted assets included, as
  // upstream's foreign key). Validates basis_points (0..kBasisPointsMax).
  boost::asio::awaitable<Result<Fee>> set(Uuid asset_id, FeeType type, money::u128 fixed,
                                          int basis_points);
  // The fee of `type` in force for the asset; nullopt when none was ever set.
  boost::asio::awaitable<Result<std::optional<Fee>>> active_fee(Uuid asset_id, FeeType type);

  static Fee from_row(const store::PgRow& row);
  static boost::json::object to_json(const Fee& fee);

 private:
  Backend& backend_;
};

}  // namespace rafiki::backend::fee
