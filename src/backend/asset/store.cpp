#include "backend/asset/store.h"

#include <utility>
#include <vector>

namespace rafiki::backend::asset {

namespace asio = boost::asio;

namespace {

constexpr const char* kColumns =
    "id, code, scale::int AS scale, ledger::int AS ledger, settlement_account_id, tenant_id, "
    "withdrawal_threshold, liquidity_threshold, created_at, deleted_at";

// SQLSTATE of nextval() on an exhausted sequence.
constexpr std::string_view kPgSequenceExhausted = "pg.2200H";

Asset from_row(const store::PgRow& row) {
  Asset a;
  a.id = row.get<Uuid>("id");
  a.code = row.get<std::string>("code");
  a.scale = static_cast<int>(row.get<std::int32_t>("scale"));
  a.ledger = static_cast<std::uint32_t>(row.get<std::int32_t>("ledger"));
  a.settlement_account_id = row.get<Uuid>("settlement_account_id");
  a.tenant_id = row.get<Uuid>("tenant_id");
  a.withdrawal_threshold = row.get<std::optional<money::u128>>("withdrawal_threshold");
  a.liquidity_threshold = row.get<std::optional<money::u128>>("liquidity_threshold");
  a.created_at = row.get<TimePoint>("created_at");
  a.deleted_at = row.get<std::optional<TimePoint>>("deleted_at");
  return a;
}

Result<std::optional<Asset>> first(const Result<store::PgResult>& rows) {
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return std::optional<Asset>{};
  return std::optional<Asset>{from_row(rows->row(0))};
}

}  // namespace

asio::awaitable<Result<std::optional<Asset>>> AssetStore::find(Uuid id, std::optional<Uuid> tenant,
                                                               Deleted deleted) {
  std::string sql = std::string("SELECT ") + kColumns + " FROM assets WHERE id = $1";
  std::vector<store::PgParam> params{store::PgParam(id)};
  if (tenant) {
    sql += " AND tenant_id = $2";
    params.emplace_back(*tenant);
  }
  if (deleted == Deleted::kExcluded) sql += " AND deleted_at IS NULL";
  co_return first(co_await pg_.query_params(std::move(sql), std::move(params)));
}

asio::awaitable<Result<std::optional<Asset>>> AssetStore::find_by_code_and_scale(Uuid tenant,
                                                                                 std::string code,
                                                                                 int scale) {
  co_return first(
      co_await pg_.query(std::string("SELECT ") + kColumns +
                             " FROM assets WHERE tenant_id = $1 AND code = $2 AND scale = $3",
                         tenant, code, scale));
}

asio::awaitable<Result<Paged<Asset>>> AssetStore::page(std::optional<Uuid> tenant,
                                                       const PageArgs& args) {
  PageQuery query;
  query.table = "assets";
  query.where = "t.deleted_at IS NULL";
  if (tenant) {
    query.where += " AND t.tenant_id = $1";
    query.params.push_back(*tenant);
  }
  auto page = co_await fetch_page(pg_, query, args);
  if (!page) co_return std::unexpected(page.error());
  co_return typed_page<Asset>(*page, from_row);
}

asio::awaitable<Result<std::optional<Asset>>> AssetStore::revive(Uuid tenant,
                                                                 const std::string& code,
                                                                 int scale) {
  co_return first(co_await pg_.query(
      std::string("UPDATE assets SET deleted_at = NULL, updated_at = clock_timestamp() "
                  "WHERE tenant_id = $1 AND code = $2 AND scale = $3 AND deleted_at IS NOT NULL "
                  "RETURNING ") +
          kColumns,
      tenant, code, scale));
}

asio::awaitable<Result<std::optional<std::uint32_t>>> AssetStore::next_ledger() {
  auto next = co_await pg_.query("SELECT nextval('assets_ledger_seq')::int AS ledger");
  if (!next) {
    if (next.error().code == kPgSequenceExhausted) co_return std::optional<std::uint32_t>{};
    co_return std::unexpected(next.error());
  }
  co_return static_cast<std::uint32_t>(next->row(0).get<std::int32_t>("ledger"));
}

asio::awaitable<Result<Asset>> AssetStore::insert(const Asset& asset, BeforeCommit before_commit) {
  co_return co_await pg_.transaction([&](store::PgConn& conn) -> asio::awaitable<Result<Asset>> {
    auto rows = co_await conn.query(
        std::string("INSERT INTO assets (id, code, scale, ledger, settlement_account_id, "
                    "tenant_id, withdrawal_threshold, liquidity_threshold) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ") +
            kColumns,
        asset.id, asset.code, asset.scale, static_cast<std::int64_t>(asset.ledger),
        asset.settlement_account_id, asset.tenant_id, asset.withdrawal_threshold,
        asset.liquidity_threshold);
    if (!rows) co_return std::unexpected(rows.error());
    if (auto ready = co_await before_commit(); !ready) co_return std::unexpected(ready.error());
    co_return from_row(rows->row(0));
  });
}

asio::awaitable<Result<std::optional<Asset>>> AssetStore::update_thresholds(
    const UpdateAsset& update) {
  co_return first(co_await pg_.query(
      std::string("UPDATE assets SET "
                  "withdrawal_threshold = CASE WHEN $5 THEN $3 ELSE withdrawal_threshold END, "
                  "liquidity_threshold = CASE WHEN $6 THEN $4 ELSE liquidity_threshold END, "
                  "updated_at = clock_timestamp() "
                  "WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL RETURNING ") +
          kColumns,
      update.id, update.tenant_id, update.withdrawal_threshold.value_or(std::nullopt),
      update.liquidity_threshold.value_or(std::nullopt), update.withdrawal_threshold.has_value(),
      update.liquidity_threshold.has_value()));
}

asio::awaitable<Result<AssetStore::Deletion>> AssetStore::soft_delete(Uuid id, Uuid tenant) {
  co_return co_await pg_.transaction([&](store::PgConn& conn) -> asio::awaitable<Result<Deletion>> {
    Deletion deletion;
    auto rows = co_await conn.query(
        "SELECT asset_in_use(id) AS in_use FROM assets "
        "WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL FOR UPDATE",
        id, tenant);
    if (!rows) co_return std::unexpected(rows.error());
    if (rows->empty()) co_return deletion;
    deletion.found = true;
    if (rows->row(0).get<bool>("in_use")) co_return deletion;
    auto deleted =
        co_await conn.query(std::string("UPDATE assets SET deleted_at = clock_timestamp(), "
                                        "updated_at = clock_timestamp() WHERE id = $1 RETURNING ") +
                                kColumns,
                            id);
    if (!deleted) co_return std::unexpected(deleted.error());
    deletion.deleted = from_row(deleted->row(0));
    co_return deletion;
  });
}

}  // namespace rafiki::backend::asset
