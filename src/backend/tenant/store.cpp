#include "backend/tenant/store.h"

namespace rafiki::backend::tenant {

namespace asio = boost::asio;

namespace {

constexpr const char* kColumns =
    "id, email, api_secret, idp_consent_url, idp_secret, public_name, created_at, deleted_at";

Tenant from_row(const store::PgRow& row) {
  Tenant t;
  t.id = row.get<Uuid>("id");
  t.email = row.get<std::optional<std::string>>("email");
  t.api_secret = row.get<std::string>("api_secret");
  t.idp_consent_url = row.get<std::optional<std::string>>("idp_consent_url");
  t.idp_secret = row.get<std::optional<std::string>>("idp_secret");
  t.public_name = row.get<std::optional<std::string>>("public_name");
  t.created_at = row.get<TimePoint>("created_at");
  t.deleted_at = row.get<std::optional<TimePoint>>("deleted_at");
  return t;
}

Setting setting_from_row(const store::PgRow& row) {
  return {row.get<std::string>(0), row.get<std::string>(1)};
}

std::optional<Tenant> first_tenant(const store::PgResult& rows) {
  if (rows.empty()) return std::nullopt;
  return from_row(rows.row(0));
}

}  // namespace

asio::awaitable<Result<bool>> TenantStore::upsert_secret(Uuid id, std::string api_secret) {
  auto rows = co_await pg_.query(
      "INSERT INTO tenants (id, api_secret) VALUES ($1, $2) "
      "ON CONFLICT (id) DO UPDATE SET api_secret = EXCLUDED.api_secret, updated_at = now() "
      "RETURNING deleted_at IS NOT NULL AS deleted",
      id, api_secret);
  if (!rows) co_return std::unexpected(rows.error());
  co_return rows->row(0).get<bool>("deleted");
}

asio::awaitable<Result<std::optional<std::string>>> TenantStore::api_secret(Uuid id) {
  auto rows = co_await pg_.query(
      "SELECT api_secret FROM tenants WHERE id = $1 AND deleted_at IS NULL", id);
  if (!rows) co_return std::unexpected(rows.error());
  if (rows->empty()) co_return std::optional<std::string>{};
  co_return rows->row(0).get<std::string>(0);
}

asio::awaitable<Result<std::optional<Tenant>>> TenantStore::find(Uuid id, bool include_deleted) {
  std::string sql = std::string("SELECT ") + kColumns + " FROM tenants WHERE id = $1";
  if (!include_deleted) sql += " AND deleted_at IS NULL";
  auto rows = co_await pg_.query(std::move(sql), id);
  if (!rows) co_return std::unexpected(rows.error());
  co_return first_tenant(*rows);
}

asio::awaitable<Result<Paged<Tenant>>> TenantStore::page(const PageArgs& args) {
  PageQuery query;
  query.table = "tenants";
  auto page = co_await fetch_page(pg_, query, args);
  if (!page) co_return std::unexpected(page.error());
  co_return typed_page<Tenant>(*page, from_row);
}

asio::awaitable<Result<std::vector<Setting>>> TenantStore::settings(Uuid id) {
  auto rows = co_await pg_.query(
      "SELECT key, value FROM tenant_settings WHERE tenant_id = $1 AND deleted_at IS NULL "
      "ORDER BY key",
      id);
  if (!rows) co_return std::unexpected(rows.error());
  std::vector<Setting> out;
  for (auto row : *rows) out.push_back(setting_from_row(row));
  co_return out;
}

asio::awaitable<Result<std::optional<std::string>>> TenantStore::setting(Uuid id,
                                                                         std::string_view key) {
  auto rows = co_await pg_.query(
      "SELECT value FROM tenant_settings WHERE tenant_id = $1 AND key = $2 AND deleted_at IS NULL",
      id, key);
  if (!rows) co_return std::unexpected(rows.error());
  if (rows->empty()) co_return std::optional<std::string>{};
  co_return rows->row(0).get<std::string>(0);
}

asio::awaitable<Result<std::optional<Uuid>>> TenantStore::by_wallet_address_url_prefix(
    std::string url) {
  auto rows = co_await pg_.query(
      "SELECT s.tenant_id FROM tenant_settings s JOIN tenants t ON t.id = s.tenant_id "
      "WHERE s.key = $1 AND s.deleted_at IS NULL AND t.deleted_at IS NULL "
      "AND starts_with($2, lower(s.value)) ORDER BY length(s.value) DESC LIMIT 1",
      setting_key::kWalletAddressUrl, url);
  if (!rows) co_return std::unexpected(rows.error());
  if (rows->empty()) co_return std::optional<Uuid>{};
  co_return rows->row(0).get<Uuid>(0);
}

asio::awaitable<Result<std::optional<Tenant>>> TenantStore::insert(store::PgConn& conn,
                                                                   const Tenant& tenant) {
  auto rows = co_await conn.query(
      std::string("INSERT INTO tenants (id, email, api_secret, idp_consent_url, idp_secret, "
                  "public_name) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING "
                  "RETURNING ") + kColumns,
      tenant.id, tenant.email, tenant.api_secret, tenant.idp_consent_url, tenant.idp_secret,
      tenant.public_name);
  if (!rows) co_return std::unexpected(rows.error());
  co_return first_tenant(*rows);
}

asio::awaitable<Result<std::optional<Tenant>>> TenantStore::update(store::PgConn& conn,
                                                                   const TenantPatch& patch) {
  // $2..$6: new values; $7..$11: whether each is given.
  auto rows = co_await conn.query(
      std::string("UPDATE tenants SET "
                  "email = CASE WHEN $7 THEN $2 ELSE email END, "
                  "api_secret = CASE WHEN $8 THEN $3 ELSE api_secret END, "
                  "idp_consent_url = CASE WHEN $9 THEN $4 ELSE idp_consent_url END, "
                  "idp_secret = CASE WHEN $10 THEN $5 ELSE idp_secret END, "
                  "public_name = CASE WHEN $11 THEN $6 ELSE public_name END, updated_at = now() "
                  "WHERE id = $1 AND deleted_at IS NULL RETURNING ") + kColumns,
      patch.id, patch.email.value_or(std::nullopt), patch.api_secret.value_or(std::nullopt),
      patch.idp_consent_url.value_or(std::nullopt), patch.idp_secret.value_or(std::nullopt),
      patch.public_name.value_or(std::nullopt), patch.email.has_value(),
      patch.api_secret.has_value(), patch.idp_consent_url.has_value(),
      patch.idp_secret.has_value(), patch.public_name.has_value());
  if (!rows) co_return std::unexpected(rows.error());
  co_return first_tenant(*rows);
}

asio::awaitable<Result<std::optional<TimePoint>>> TenantStore::remove(store::PgConn& conn,
                                                                      Uuid id) {
  auto rows = co_await conn.query(
      "UPDATE tenants SET deleted_at = now(), updated_at = now() WHERE id = $1 AND "
      "deleted_at IS NULL RETURNING deleted_at",
      id);
  if (!rows) co_return std::unexpected(rows.error());
  if (rows->empty()) co_return std::optional<TimePoint>{};
  auto settings = co_await conn.query(
      "UPDATE tenant_settings SET deleted_at = now() WHERE tenant_id = $1 AND deleted_at IS NULL",
      id);
  if (!settings) co_return std::unexpected(settings.error());
  co_return rows->row(0).get<TimePoint>(0);
}

asio::awaitable<Result<bool>> TenantStore::lock(store::PgConn& conn, Uuid id) {
  auto rows = co_await conn.query(
      "SELECT 1 FROM tenants WHERE id = $1 AND deleted_at IS NULL FOR UPDATE", id);
  if (!rows) co_return std::unexpected(rows.error());
  co_return !rows->empty();
}

asio::awaitable<Result<bool>> TenantStore::wallet_address_url_taken(store::PgConn& conn,
                                                                    Uuid tenant_id,
                                                                    std::string url) {
  auto rows = co_await conn.query(
      "SELECT 1 FROM tenant_settings WHERE key = $1 AND value = $2 "
      "AND NOT (tenant_id = $3 AND deleted_at IS NULL)",
      setting_key::kWalletAddressUrl, url, tenant_id);
  if (!rows) co_return std::unexpected(rows.error());
  co_return !rows->empty();
}

asio::awaitable<Result<Setting>> TenantStore::upsert_setting(store::PgConn& conn, Uuid tenant_id,
                                                             const Setting& setting) {
  auto rows = co_await conn.query(
      "INSERT INTO tenant_settings (id, tenant_id, key, value) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT (tenant_id, key) WHERE deleted_at IS NULL "
      "DO UPDATE SET value = EXCLUDED.value, updated_at = now() RETURNING key, value",
      Uuid::v4(), tenant_id, setting.key, setting.value);
  if (!rows) co_return std::unexpected(rows.error());
  co_return setting_from_row(rows->row(0));
}

}  // namespace rafiki::backend::tenant
