// All SQL on the tenant domain's tables (migrations/backend/0002_tenants.sql): `tenants` and
// `tenant_settings`. Rows in, Tenant and Setting out; nothing here decides anything. The static
// members run inside a transaction the service opens with transaction().
#pragma once

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backend/core/pagination.h"
#include "backend/tenant/model.h"
#include "base/errors.h"
#include "store/pg.h"

namespace rafiki::backend::tenant {

class TenantStore {
 public:
  explicit TenantStore(store::PgPool pg) : pg_(std::move(pg)) {}

  // Runs `fn(PgConn&) -> awaitable<Result<T>>` in one transaction (store::PgPool::transaction).
  template <class F>
  auto transaction(F fn) {
    return pg_.transaction(std::move(fn));
  }

  // Inserts the tenant `id` with `api_secret`, or sets the secret of the existing row; true when
  // that row is deleted.
  boost::asio::awaitable<Result<bool>> upsert_secret(Uuid id, std::string api_secret);
  // The api secret of a live tenant; nullopt for an unknown or deleted one.
  boost::asio::awaitable<Result<std::optional<std::string>>> api_secret(Uuid id);
  boost::asio::awaitable<Result<std::optional<Tenant>>> find(Uuid id, bool include_deleted);
  // A page of every tenant, deleted ones included, as upstream pages them.
  boost::asio::awaitable<Result<Paged<Tenant>>> page(const PageArgs& args);

  // The live settings of a tenant, in key order.
  boost::asio::awaitable<Result<std::vector<Setting>>> settings(Uuid id);
  // One live setting; nullopt when the tenant has none.
  boost::asio::awaitable<Result<std::optional<std::string>>> setting(Uuid id, std::string_view key);
  // The live tenant whose live WALLET_ADDRESS_URL is the longest prefix of `url` (compared in
  // lower case); nullopt when none.
  boost::asio::awaitable<Result<std::optional<Uuid>>> by_wallet_address_url_prefix(
      std::string url);

  // --- inside a transaction ---
  // Inserts the tenant's row (created_at and deleted_at are the database's); nullopt when the id
  // is taken.
  static boost::asio::awaitable<Result<std::optional<Tenant>>> insert(store::PgConn& conn,
                                                                      const Tenant& tenant);
  // Applies the patch to a live tenant; nullopt when there is none.
  static boost::asio::awaitable<Result<std::optional<Tenant>>> update(store::PgConn& conn,
                                                                      const TenantPatch& patch);
  // Marks a live tenant and its settings deleted; when it was deleted, nullopt when there is no
  // live tenant.
  static boost::asio::awaitable<Result<std::optional<TimePoint>>> remove(store::PgConn& conn,
                                                                         Uuid id);
  // Locks a live tenant's row (FOR UPDATE); false when there is none.
  static boost::asio::awaitable<Result<bool>> lock(store::PgConn& conn, Uuid id);
  // Whether WALLET_ADDRESS_URL `url` is taken: held by another tenant, or by any deleted setting
  // row (deleted rows count, as upstream); the tenant's own live setting does not count.
  static boost::asio::awaitable<Result<bool>> wallet_address_url_taken(store::PgConn& conn,
                                                                       Uuid tenant_id,
                                                                       std::string url);
  // Inserts the setting or replaces the value of the tenant's live one; the row as stored.
  static boost::asio::awaitable<Result<Setting>> upsert_setting(store::PgConn& conn,
                                                                Uuid tenant_id,
                                                                const Setting& setting);

 private:
  store::PgPool pg_;
};

}  // namespace rafiki::backend::tenant
