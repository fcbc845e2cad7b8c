#include "backend/fee/store.h"

namespace rafiki::backend::fee {

namespace asio = boost::asio;

namespace {

constexpr const char* kColumns = "id, asset_id, type, fixed_fee, basis_point_fee, created_at";

Fee from_row(const store::PgRow& row) {
  Fee f;
  f.id = row.get<Uuid>("id");
  f.asset_id = row.get<Uuid>("asset_id");
  f.type = parse_fee_type(row.get<std::string_view>("type")).value_or(FeeType::kSending);
  f.fixed = row.get<money::u128>("fixed_fee");
  f.basis_points = row.get<std::int32_t>("basis_point_fee");
  f.created_at = row.get<TimePoint>("created_at");
  return f;
}

}  // namespace

asio::awaitable<Result<Fee>> FeeStore::insert(const Fee& fee) {
  auto rows = co_await pg_.query(
      std::string("INSERT INTO fees (id, asset_id, type, fixed_fee, basis_point_fee) "
                  "VALUES ($1, $2, $3, $4, $5) RETURNING ") + kColumns,
      fee.id, fee.asset_id, to_string(fee.type), fee.fixed, fee.basis_points);
  if (!rows) co_return std::unexpected(rows.error());
  co_return from_row(rows->row(0));
}

asio::awaitable<Result<std::optional<Fee>>> FeeStore::newest(Uuid asset_id, FeeType type) {
  auto rows = co_await pg_.query(
      std::string("SELECT ") + kColumns +
          " FROM fees WHERE asset_id = $1 AND type = $2 ORDER BY created_at DESC, id DESC LIMIT 1",
      asset_id, to_string(type));
  if (!rows) co_return std::unexpected(rows.error());
  if (rows->empty()) co_return std::optional<Fee>{};
  co_return std::optional<Fee>{from_row(rows->row(0))};
}

asio::awaitable<Result<Paged<Fee>>> FeeStore::page(Uuid asset_id, const PageArgs& args) {
  PageQuery query;
  query.table = "fees";
  query.where = "t.asset_id = $1";
  query.params.push_back(asset_id);
  auto page = co_await fetch_page(pg_, query, args);
  if (!page) co_return std::unexpected(page.error());
  co_return typed_page<Fee>(*page, from_row);
}

}  // namespace rafiki::backend::fee
