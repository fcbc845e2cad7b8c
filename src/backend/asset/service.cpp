#include "backend/asset/service.h"

#include <utility>
#include <vector>

#include "backend/core/admin.h"
#include "backend/core/backend.h"
#include "backend/core/ledger_codes.h"
#include "ledger/ledger.h"

namespace rafiki::backend::asset {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr const char* kColumns =
    "id, code, scale::int AS scale, ledger::int AS ledger, settlement_account_id, tenant_id, "
    "withdrawal_threshold, liquidity_threshold, created_at, deleted_at";

// SQLSTATE of nextval() on an exhausted sequence.
constexpr std::string_view kPgSequenceExhausted = "pg.2200H";

Result<std::optional<Asset>> first(const Result<store::PgResult>& rows) {
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return std::optional<Asset>{};
  return std::optional<Asset>{AssetService::from_row(rows->row(0))};
}

}  // namespace

AssetService::AssetService(Backend& backend) : backend_(backend) {}

Asset AssetService::from_row(const store::PgRow& row) {
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

json::object AssetService::to_json(const Asset& a) {
  json::object o;
  o["id"] = a.id.str();
  o["code"] = a.code;
  o["scale"] = a.scale;
  o["withdrawalThreshold"] =
      a.withdrawal_threshold ? uint64_value(*a.withdrawal_threshold) : json::value(nullptr);
  o["liquidityThreshold"] =
      a.liquidity_threshold ? uint64_value(*a.liquidity_threshold) : json::value(nullptr);
  o["createdAt"] = iso_time(a.created_at);
  o["tenantId"] = a.tenant_id.str();
  return o;
}

asio::awaitable<Result<std::optional<Asset>>> AssetService::get(Uuid id) {
  co_return first(co_await backend_.pg.query(
      std::string("SELECT ") + kColumns + " FROM assets WHERE id = $1 AND deleted_at IS NULL", id));
}

asio::awaitable<Result<std::optional<Asset>>> AssetService::get_for_tenant(Uuid id, Uuid tenant_id) {
  co_return first(co_await backend_.pg.query(
      std::string("SELECT ") + kColumns +
          " FROM assets WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL",
      id, tenant_id));
}

asio::awaitable<Result<std::optional<Asset>>> AssetService::get_including_deleted(Uuid id) {
  co_return first(co_await backend_.pg.query(
      std::string("SELECT ") + kColumns + " FROM assets WHERE id = $1", id));
}

asio::awaitable<Result<std::optional<Asset>>> AssetService::get_by_code_and_scale(
    Uuid tenant_id, std::string code, int scale) {
  co_return first(co_await backend_.pg.query(
      std::string("SELECT ") + kColumns +
          " FROM assets WHERE tenant_id = $1 AND code = $2 AND scale = $3",
      tenant_id, code, scale));
}

asio::awaitable<Result<Asset>> AssetService::create(CreateAsset input) {
  if (input.scale < 0 || input.scale > kScaleMax) {
    co_return fail("invalid_argument", "scale out of range");
  }
  auto tenant = co_await backend_.pg.query(
      "SELECT 1 FROM tenants WHERE id = $1 AND deleted_at IS NULL", input.tenant_id);
  if (!tenant) co_return std::unexpected(tenant.error());
  if (tenant->empty()) co_return fail("tenant.unknown", "Tenant not found");

  // A soft-deleted asset with the same code and scale comes back (thresholds kept).
  auto revived = co_await backend_.pg.query(
      std::string("UPDATE assets SET deleted_at = NULL, updated_at = clock_timestamp() "
                  "WHERE tenant_id = $1 AND code = $2 AND scale = $3 AND deleted_at IS NOT NULL "
                  "RETURNING ") + kColumns,
      input.tenant_id, input.code, input.scale);
  if (!revived) co_return std::unexpected(revived.error());
  if (!revived->empty()) co_return from_row(revived->row(0));

  // Everything that could differ between attempts of the transaction is chosen up front, so a
  // retried attempt asks the ledger for the very same accounts (which then answer `exists`).
  auto next = co_await backend_.pg.query("SELECT nextval('assets_ledger_seq')::int AS ledger");
  if (!next) {
    if (next.error().code == kPgSequenceExhausted) {
      co_return fail(std::string(kAssetErrorLedgersExhausted), "no ledger number left");
    }
    co_return std::unexpected(next.error());
  }
  const auto ledger_number = static_cast<std::uint32_t>(next->row(0).get<std::int32_t>("ledger"));
  const Uuid id = Uuid::v4();
  const Uuid settlement_id = Uuid::v4();

  // The row is inserted first (a duplicate fails before the ledger is touched) and committed
  // only once both ledger accounts exist; a concurrent create of the same code+scale waits on
  // the unique index until then. Should the commit itself fail, two accounts remain on a ledger
  // number no asset uses: unreachable, and they hold no money.
  auto created = co_await backend_.pg.transaction(
      [&](store::PgConn& conn) -> asio::awaitable<Result<Asset>> {
        auto rows = co_await conn.query(
            std::string("INSERT INTO assets (id, code, scale, ledger, settlement_account_id, "
                        "tenant_id, withdrawal_threshold, liquidity_threshold) "
                        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ") + kColumns,
            id, input.code, input.scale, static_cast<std::int64_t>(ledger_number), settlement_id,
            input.tenant_id, input.withdrawal_threshold, input.liquidity_threshold);
        if (!rows) {
          if (rows.error().code == store::kPgUniqueViolation) {
            co_return fail(std::string(kAssetErrorDuplicate), "Asset already exists");
          }
          co_return std::unexpected(rows.error());
        }
        ledger::Account liquidity;
        liquidity.id = id;
        liquidity.ledger = ledger_number;
        liquidity.code = account_code::kAssetLiquidity;
        liquidity.flags =
            ledger::account_flags::kLinked | ledger::account_flags::kDebitsMustNotExceedCredits;
        ledger::Account settlement;
        settlement.id = settlement_id;
        settlement.ledger = ledger_number;
        settlement.code = account_code::kSettlement;
        settlement.flags = ledger::account_flags::kCreditsMustNotExceedDebits;
        auto accounts = std::vector<ledger::Account>{liquidity, settlement};
        auto results = co_await backend_.ledger.create_accounts(std::move(accounts));
        if (!results) co_return std::unexpected(results.error());
        for (auto r : *results) {
          if (r != ledger::CreateAccountResult::kOk && r != ledger::CreateAccountResult::kExists) {
            co_return fail("asset.ledger_accounts",
                           "asset ledger accounts not created: " + std::string(ledger::name(r)));
          }
        }
        co_return from_row(rows->row(0));
      });
  co_return created;
}

asio::awaitable<Result<Asset>> AssetService::update(UpdateAsset input) {
  auto rows = co_await backend_.pg.query(
      std::string("UPDATE assets SET "
                  "withdrawal_threshold = CASE WHEN $5 THEN $3 ELSE withdrawal_threshold END, "
                  "liquidity_threshold = CASE WHEN $6 THEN $4 ELSE liquidity_threshold END, "
                  "updated_at = clock_timestamp() "
                  "WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL RETURNING ") + kColumns,
      input.id, input.tenant_id, input.withdrawal_threshold.value_or(std::nullopt),
      input.liquidity_threshold.value_or(std::nullopt), input.withdrawal_threshold.has_value(),
      input.liquidity_threshold.has_value());
  if (!rows) co_return std::unexpected(rows.error());
  if (rows->empty()) co_return fail(std::string(kAssetErrorUnknown), "Asset not found");
  co_return from_row(rows->row(0));
}

asio::awaitable<Result<Asset>> AssetService::remove(Uuid id, Uuid tenant_id) {
  co_return co_await backend_.pg.transaction(
      [&](store::PgConn& conn) -> asio::awaitable<Result<Asset>> {
        // The row lock keeps two deletes (or a delete and a reactivation) apart.
        auto rows = co_await conn.query(
            "SELECT asset_in_use(id) AS in_use FROM assets "
            "WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL FOR UPDATE",
            id, tenant_id);
        if (!rows) co_return std::unexpected(rows.error());
        if (rows->empty()) co_return fail(std::string(kAssetErrorUnknown), "Asset not found");
        if (rows->row(0).get<bool>("in_use")) {
          co_return fail(std::string(kAssetErrorInUse), "Cannot delete! Asset in use.");
        }
        auto deleted = co_await conn.query(
            std::string("UPDATE assets SET deleted_at = clock_timestamp(), "
                        "updated_at = clock_timestamp() WHERE id = $1 RETURNING ") + kColumns,
            id);
        if (!deleted) co_return std::unexpected(deleted.error());
        co_return from_row(deleted->row(0));
      });
}

}  // namespace rafiki::backend::asset
