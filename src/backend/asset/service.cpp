#include "backend/asset/service.h"

#include <spdlog/spdlog.h>

#include <utility>
#include <vector>

#include "backend/core/ledger_codes.h"
#include "backend/tenant/service.h"

namespace rafiki::backend::asset {

namespace asio = boost::asio;

asio::awaitable<Result<std::optional<Asset>>> AssetService::get(Uuid id) {
  co_return co_await store_.find(id, std::nullopt, AssetStore::Deleted::kExcluded);
}

asio::awaitable<Result<std::optional<Asset>>> AssetService::get_for_tenant(Uuid id,
                                                                           Uuid tenant_id) {
  co_return co_await store_.find(id, tenant_id, AssetStore::Deleted::kExcluded);
}

asio::awaitable<Result<std::optional<Asset>>> AssetService::get_in_scope(
    Uuid id, std::optional<Uuid> tenant_scope) {
  co_return co_await store_.find(id, tenant_scope, AssetStore::Deleted::kExcluded);
}

asio::awaitable<Result<std::optional<Asset>>> AssetService::get_including_deleted(Uuid id) {
  co_return co_await store_.find(id, std::nullopt, AssetStore::Deleted::kIncluded);
}

asio::awaitable<Result<std::optional<Asset>>> AssetService::get_by_code_and_scale(Uuid tenant_id,
                                                                                  std::string code,
                                                                                  int scale) {
  co_return co_await store_.find_by_code_and_scale(tenant_id, std::move(code), scale);
}

asio::awaitable<Result<Paged<Asset>>> AssetService::page(std::optional<Uuid> tenant_scope,
                                                         const PageArgs& args) {
  co_return co_await store_.page(tenant_scope, args);
}

asio::awaitable<Outcome<Asset, AssetError>> AssetService::create(CreateAsset input) {
  if (input.scale < 0 || input.scale > kScaleMax) co_return fail_with(AssetError::kInvalidScale);
  auto tenant = co_await tenants_.get(input.tenant_id, false);
  if (!tenant) co_return pass_on<AssetError>(tenant.error());
  if (!*tenant) co_return fail_with(AssetError::kUnknownTenant);

  // A soft-deleted asset with the same code and scale comes back (thresholds kept).
  auto revived = co_await store_.revive(input.tenant_id, input.code, input.scale);
  if (!revived) co_return pass_on<AssetError>(revived.error());
  if (*revived) co_return std::move(**revived);

  // Everything that could differ between attempts of the transaction is chosen up front, so a
  // retried attempt asks the ledger for the very same accounts (which then answer `exists`).
  auto ledger_number = co_await store_.next_ledger();
  if (!ledger_number) co_return pass_on<AssetError>(ledger_number.error());
  if (!*ledger_number) {
    spdlog::error("asset: no ledger number left ({}..{} are taken)", kLedgerMin, kLedgerMax);
    co_return fail_with(AssetError::kLedgersExhausted);
  }
  Asset asset;
  asset.id = Uuid::v4();
  asset.code = std::move(input.code);
  asset.scale = input.scale;
  asset.ledger = **ledger_number;
  asset.settlement_account_id = Uuid::v4();
  asset.tenant_id = input.tenant_id;
  asset.withdrawal_threshold = input.withdrawal_threshold;
  asset.liquidity_threshold = input.liquidity_threshold;

  // The row is inserted first (a duplicate fails before the ledger is touched) and committed
  // only once both ledger accounts exist. Should the commit itself fail, two accounts remain on
  // a ledger number no asset uses: unreachable, and they hold no money.
  AssetStore::BeforeCommit accounts = [this, &asset]() { return create_ledger_accounts(asset); };
  auto created = co_await store_.insert(asset, std::move(accounts));
  if (!created) {
    if (created.error().code == store::kPgUniqueViolation) {
      co_return fail_with(AssetError::kDuplicate);
    }
    co_return pass_on<AssetError>(created.error());
  }
  co_return std::move(*created);
}

asio::awaitable<Result<void>> AssetService::create_ledger_accounts(const Asset& asset) {
  ledger::Account liquidity;
  liquidity.id = asset.id;
  liquidity.ledger = asset.ledger;
  liquidity.code = account_code::kAssetLiquidity;
  liquidity.flags =
      ledger::account_flags::kLinked | ledger::account_flags::kDebitsMustNotExceedCredits;
  ledger::Account settlement;
  settlement.id = asset.settlement_account_id;
  settlement.ledger = asset.ledger;
  settlement.code = account_code::kSettlement;
  settlement.flags = ledger::account_flags::kCreditsMustNotExceedDebits;
  auto accounts = std::vector<ledger::Account>{liquidity, settlement};
  auto results = co_await ledger_.create_accounts(std::move(accounts));
  if (!results) co_return std::unexpected(results.error());
  for (auto r : *results) {
    if (r != ledger::CreateAccountResult::kOk && r != ledger::CreateAccountResult::kExists) {
      co_return fail("asset.ledger_accounts",
                     "asset ledger accounts not created: " + std::string(ledger::name(r)));
    }
  }
  co_return Result<void>{};
}

asio::awaitable<Outcome<Asset, AssetError>> AssetService::update(UpdateAsset input) {
  auto updated = co_await store_.update_thresholds(input);
  if (!updated) co_return pass_on<AssetError>(updated.error());
  if (!*updated) co_return fail_with(AssetError::kUnknown);
  co_return std::move(**updated);
}

asio::awaitable<Outcome<Asset, AssetError>> AssetService::remove(Uuid id, Uuid tenant_id) {
  auto deletion = co_await store_.soft_delete(id, tenant_id);
  if (!deletion) co_return pass_on<AssetError>(deletion.error());
  if (!deletion->found) co_return fail_with(AssetError::kUnknown);
  if (!deletion->deleted) co_return fail_with(AssetError::kInUse);
  co_return std::move(*deletion->deleted);
}

}  // namespace rafiki::backend::asset
