// All SQL on the `assets` table (and its ledger-number sequence). Rows come back as Asset;
// nothing here decides anything.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "backend/asset/model.h"
#include "backend/core/pagination.h"
#include "base/errors.h"
#include "store/pg.h"

namespace rafiki::backend::asset {

class AssetStore {
 public:
  explicit AssetStore(store::PgPool pg) : pg_(std::move(pg)) {}

  // An asset by id — of `tenant` only, when given; soft-deleted ones only when `deleted` says
  // so. Nullopt when there is none.
  enum class Deleted { kExcluded, kIncluded };
  boost::asio::awaitable<Result<std::optional<Asset>>> find(Uuid id, std::optional<Uuid> tenant,
                                                            Deleted deleted);
  // A tenant's asset by code and scale, soft-deleted or not.
  boost::asio::awaitable<Result<std::optional<Asset>>> find_by_code_and_scale(Uuid tenant,
                                                                              std::string code,
                                                                              int scale);
  // A page of live assets — of `tenant` only, when given.
  boost::asio::awaitable<Result<Paged<Asset>>> page(std::optional<Uuid> tenant,
                                                    const PageArgs& args);

  // Undeletes the tenant's soft-deleted asset with that code and scale (thresholds kept);
  // nullopt when there is none.
  boost::asio::awaitable<Result<std::optional<Asset>>> revive(Uuid tenant, const std::string& code,
                                                              int scale);
  // The next ledger number; nullopt when the sequence is exhausted.
  boost::asio::awaitable<Result<std::optional<std::uint32_t>>> next_ledger();
  // Inserts the row and commits only once `before_commit` succeeded (both in one transaction,
  // so a concurrent insert of the same code+scale waits on the unique index until then). Fails
  // with store::kPgUniqueViolation when a live asset has the code and scale, or with
  // before_commit's error.
  using BeforeCommit = std::function<boost::asio::awaitable<Result<void>>()>;
  boost::asio::awaitable<Result<Asset>> insert(const Asset& asset, BeforeCommit before_commit);
  // Writes the thresholds the update names, of a live asset of update.tenant_id; nullopt when
  // there is none.
  boost::asio::awaitable<Result<std::optional<Asset>>> update_thresholds(const UpdateAsset& update);

  // What soft_delete found.
  struct Deletion {
    bool found = false;            // a live asset of the tenant with that id
    std::optional<Asset> deleted;  // the asset as deleted; nullopt when found but in use
  };
  // Soft-deletes a live asset of `tenant` unless asset_in_use() (a peer or wallet address
  // references it), under a row lock that keeps two deletes (or a delete and a reactivation)
  // apart.
  boost::asio::awaitable<Result<Deletion>> soft_delete(Uuid id, Uuid tenant);

 private:
  store::PgPool pg_;
};

}  // namespace rafiki::backend::asset
