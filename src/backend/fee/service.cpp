#include "backend/fee/service.h"

#include "backend/core/admin.h"
#include "backend/core/backend.h"

namespace rafiki::backend::fee {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {
constexpr const char* kColumns = "id, asset_id, type, fixed_fee, basis_point_fee, created_at";
}

std::string_view to_string(FeeType type) {
  return type == FeeType::kSending ? "SENDING" : "RECEIVING";
}

std::optional<FeeType> parse_fee_type(std::string_view text) {
  if (text == "SENDING") return FeeType::kSending;
  if (text == "RECEIVING") return FeeType::kReceiving;
  return std::nullopt;
}

FeeService::FeeService(Backend& backend) : backend_(backend) {}

Fee FeeService::from_row(const store::PgRow& row) {
  Fee f;
  f.id = row.get<Uuid>("id");
  f.asset_id = row.get<Uuid>("asset_id");
  f.type = parse_fee_type(row.get<std::string_view>("type")).value_or(FeeType::kSending);
  f.fixed = row.get<money::u128>("fixed_fee");
  f.basis_points = row.get<std::int32_t>("basis_point_fee");
  f.created_at = row.get<TimePoint>("created_at");
  return f;
}

json::object FeeService::to_json(const Fee& fee) {
  json::object o;
  o["id"] = fee.id.str();
  o["assetId"] = fee.asset_id.str();
  o["type"] = to_string(fee.type);
  o["fixed"] = uint64_value(fee.fixed);
  o["basisPoints"] = fee.basis_points;
  o["createdAt"] = iso_time(fee.created_at);
  return o;
}

asio::awaitable<Result<Fee>> FeeService::set(Uuid asset_id, FeeType type, money::u128 fixed,
                                             int basis_points) {
  if (basis_points < 0 || basis_points > kBasisPointsMax) {
    co_return fail(std::string(kFeeErrorBasisPoints), "Basis point fee must be between 0 and 10000");
  }
  if (fixed > money::u128{0xFFFFFFFFFFFFFFFFull}) {
    co_return fail(std::string(kFeeErrorFixed), "Fixed fee must be greater than or equal to 0");
  }
  auto rows = co_await backend_.pg.query(
      std::string("INSERT INTO fees (id, asset_id, type, fixed_fee, basis_point_fee) "
                  "VALUES ($1, $2, $3, $4, $5) RETURNING ") + kColumns,
      Uuid::v4(), asset_id, to_string(type), fixed, basis_points);
  if (!rows) {
    if (rows.error().code == store::kPgForeignKeyViolation) {
      co_return fail(std::string(kFeeErrorUnknownAsset), "Unknown asset");
    }
    co_return std::unexpected(rows.error());
  }
  co_return from_row(rows->row(0));
}

asio::awaitable<Result<std::optional<Fee>>> FeeService::active_fee(Uuid asset_id, FeeType type) {
  auto rows = co_await backend_.pg.query(
      std::string("SELECT ") + kColumns +
          " FROM fees WHERE asset_id = $1 AND type = $2 ORDER BY created_at DESC, id DESC LIMIT 1",
      asset_id, to_string(type));
  if (!rows) co_return std::unexpected(rows.error());
  if (rows->empty()) co_return std::optional<Fee>{};
  co_return std::optional<Fee>{from_row(rows->row(0))};
}

}  // namespace rafiki::backend::fee
