// The asset domain's rules: create (or reactivate a soft-deleted code+scale), read, update
// thresholds and soft-delete assets. Creating an asset also creates its liquidity and
// settlement ledger accounts; the asset row only becomes visible once both exist. Uses the
// tenant domain (an asset needs a live owner), the ledger and the asset store.
//
// The reads answer Result: nothing but broken infrastructure can make them fail (an unknown
// asset is nullopt), so a later domain passes their error on as its own
// (`pass_on<FeeError>(asset.error())`). What can fail by the rules answers Outcome.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>

#include "backend/asset/model.h"
#include "backend/asset/store.h"
#include "backend/core/domain_error.h"
#include "backend/core/pagination.h"
#include "base/errors.h"
#include "ledger/ledger.h"

namespace rafiki::backend::tenant {
class TenantService;
}

namespace rafiki::backend::asset {

class AssetService {
 public:
  AssetService(AssetStore store, tenant::TenantService& tenants, ledger::Ledger& ledger)
      : store_(std::move(store)), tenants_(tenants), ledger_(ledger) {}

  // A live asset by id, of any tenant; nullopt when unknown or soft-deleted.
  boost::asio::awaitable<Result<std::optional<Asset>>> get(Uuid id);
  // A live asset by id that belongs to `tenant_id`; nullopt otherwise.
  boost::asio::awaitable<Result<std::optional<Asset>>> get_for_tenant(Uuid id, Uuid tenant_id);
  // get_for_tenant(id, *tenant_scope), or get(id) for no scope (the operator reads any
  // tenant's).
  boost::asio::awaitable<Result<std::optional<Asset>>> get_in_scope(
      Uuid id, std::optional<Uuid> tenant_scope);
  // By id even when soft-deleted (history views of objects that reference it).
  boost::asio::awaitable<Result<std::optional<Asset>>> get_including_deleted(Uuid id);
  // A tenant's asset by code and scale, soft-deleted ones included (as upstream).
  boost::asio::awaitable<Result<std::optional<Asset>>> get_by_code_and_scale(Uuid tenant_id,
                                                                             std::string code,
                                                                             int scale);
  // A page of live assets, of `tenant_scope` only when given.
  boost::asio::awaitable<Result<Paged<Asset>>> page(std::optional<Uuid> tenant_scope,
                                                    const PageArgs& args);

  // Creates the asset with its ledger accounts, or reactivates a soft-deleted one with the same
  // tenant, code and scale (its thresholds kept). kInvalidScale, kUnknownTenant, kDuplicate
  // (a live one exists), kLedgersExhausted.
  boost::asio::awaitable<Outcome<Asset, AssetError>> create(CreateAsset input);
  // kUnknown when absent, deleted or another tenant's.
  boost::asio::awaitable<Outcome<Asset, AssetError>> update(UpdateAsset input);
  // Soft delete. kUnknown as update; kInUse when a peer or wallet address references it.
  boost::asio::awaitable<Outcome<Asset, AssetError>> remove(Uuid id, Uuid tenant_id);

 private:
  // The asset's liquidity and settlement accounts on its ledger (already existing ones are
  // fine, so a retried attempt succeeds).
  boost::asio::awaitable<Result<void>> create_ledger_accounts(const Asset& asset);

  AssetStore store_;
  tenant::TenantService& tenants_;
  ledger::Ledger& ledger_;
};

}  // namespace rafiki::backend::asset
