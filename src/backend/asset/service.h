// The asset service: create (or reactivate a soft-deleted code+scale), read, update thresholds
// and soft-delete assets. Creating an asset also creates its liquidity and settlement ledger
// accounts; the asset row only becomes visible once both exist. Other domains (peers, wallet
// addresses, quotes) read assets through get() / get_for_tenant().
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "backend/asset/model.h"
#include "base/errors.h"
#include "store/pg.h"

namespace rafiki::backend {
struct Backend;
}

namespace rafiki::backend::asset {

// Error codes of the asset domain (Error::code); the Admin API maps them once (install.cpp).
inline constexpr std::string_view kAssetErrorUnknown = "asset.unknown";      // NOT_FOUND
inline constexpr std::string_view kAssetErrorDuplicate = "asset.duplicate";  // DUPLICATE
inline constexpr std::string_view kAssetErrorInUse = "asset.in_use";         // FORBIDDEN
// Every ledger number 1..kLedgerMax is taken.
inline constexpr std::string_view kAssetErrorLedgersExhausted = "asset.ledgers_exhausted";

struct CreateAsset {
  Uuid tenant_id;
  std::string code;
  int scale = 0;
  std::optional<money::u128> withdrawal_threshold;
  std::optional<money::u128> liquidity_threshold;
};

struct UpdateAsset {
  Uuid id;
  Uuid tenant_id;  // the asset must belong to this tenant
  // Absent: unchanged; null: cleared (upstream clears an absent threshold too).
  std::optional<std::optional<money::u128>> withdrawal_threshold;
  std::optional<std::optional<money::u128>> liquidity_threshold;
};

class AssetService {
 public:
  explicit AssetService(Backend& backend);

  // A non-deleted asset by id, of any tenant; nullopt when unknown or soft-deleted.
  boost::asio::awaitable<Result<std::optional<Asset>>> get(Uuid id);
  // A non-deleted asset by id that belongs to `tenant_id`; nullopt otherwise.
  boost::asio::awaitable<Result<std::optional<Asset>>> get_for_tenant(Uuid id, Uuid tenant_id);
  // By id even when soft-deleted (history views of objects that reference it).
  boost::asio::awaitable<Result<std::optional<Asset>>> get_including_deleted(Uuid id);
  // A tenant's asset by code and scale, soft-deleted ones included (as upstream).
  boost::asio::awaitable<Result<std::optional<Asset>>> get_by_code_and_scale(
      Uuid tenant_id, std::string code, int scale);

  // Creates the asset with its ledger accounts, or reactivates a soft-deleted one with the same
  // tenant, code and scale (its thresholds kept). kAssetErrorDuplicate when a live one exists.
  boost::asio::awaitable<Result<Asset>> create(CreateAsset input);
  // kAssetErrorUnknown when absent, deleted or another tenant's.
  boost::asio::awaitable<Result<Asset>> update(UpdateAsset input);
  // Soft delete. kAssetErrorUnknown as update; kAssetErrorInUse when a peer or wallet address
  // references it.
  boost::asio::awaitable<Result<Asset>> remove(Uuid id, Uuid tenant_id);

  static Asset from_row(const store::PgRow& row);
  // The Admin API's Asset object without its resolved fields: id, code, scale,
  // withdrawalThreshold, liquidityThreshold, createdAt, and tenantId (for Asset.tenant).
  static boost::json::object to_json(const Asset& asset);

 private:
  Backend& backend_;
};

}  // namespace rafiki::backend::asset
