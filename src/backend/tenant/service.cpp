#include "backend/tenant/service.h"

#include "backend/core/admin.h"
#include "backend/core/backend.h"
#include "crypto/hash.h"

namespace rafiki::backend::tenant {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {
constexpr const char* kTenantColumns =
    "id, email, api_secret, idp_consent_url, idp_secret, public_name, created_at, deleted_at";
}

TenantService::TenantService(Backend& backend) : backend_(backend) {}

bool TenantService::is_operator(const Uuid& id) const {
  return id.str() == backend_.config.operator_tenant_id;
}

bool TenantService::is_operator_secret(std::string_view secret) const {
  const std::string& op = backend_.config.admin_api_secret;
  return secret.size() == op.size() && crypto::constant_time_equal(as_bytes(secret), as_bytes(op));
}

asio::awaitable<Result<void>> TenantService::bootstrap_operator() {
  auto id = Uuid::parse(backend_.config.operator_tenant_id);
  if (!id) co_return fail("config.invalid", "OPERATOR_TENANT_ID is not a UUID");
  auto rows = co_await backend_.pg.query(
      "INSERT INTO tenants (id, api_secret) VALUES ($1, $2) "
      "ON CONFLICT (id) DO UPDATE SET api_secret = EXCLUDED.api_secret, updated_at = now() "
      "RETURNING deleted_at IS NOT NULL AS deleted",
      *id, backend_.config.admin_api_secret);
  if (!rows) co_return std::unexpected(rows.error());
  if (rows->row(0).get<bool>("deleted")) {
    co_return fail(std::string(kTenantErrorOperatorDeleted),
                   "the operator tenant " + id->str() + " is deleted");
  }
  co_return Result<void>{};
}

asio::awaitable<Result<std::optional<admin::TenantCredentials>>> TenantService::credentials(Uuid id) {
  auto rows = co_await backend_.pg.query(
      "SELECT api_secret FROM tenants WHERE id = $1 AND deleted_at IS NULL", id);
  if (!rows) co_return std::unexpected(rows.error());
  if (rows->empty()) co_return std::optional<admin::TenantCredentials>{};
  admin::TenantCredentials c;
  c.id = id;
  c.api_secret = rows->row(0).get<std::string>(0);
  c.is_operator = is_operator(id);
  co_return c;
}

Tenant TenantService::from_row(const store::PgRow& row) {
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

json::object TenantService::to_json(const Tenant& t) {
  auto opt = [](const std::optional<std::string>& s) -> json::value {
    if (!s) return nullptr;
    return json::value(*s);
  };
  json::object o;
  o["id"] = t.id.str();
  o["email"] = opt(t.email);
  o["apiSecret"] = t.api_secret;
  o["idpConsentUrl"] = opt(t.idp_consent_url);
  o["idpSecret"] = opt(t.idp_secret);
  o["publicName"] = opt(t.public_name);
  o["createdAt"] = iso_time(t.created_at);
  o["deletedAt"] = iso_time(t.deleted_at);
  return o;
}

asio::awaitable<Result<std::optional<Tenant>>> TenantService::get(Uuid id, bool include_deleted) {
  std::string sql = std::string("SELECT ") + kTenantColumns + " FROM tenants WHERE id = $1";
  if (!include_deleted) sql += " AND deleted_at IS NULL";
  auto rows = co_await backend_.pg.query(std::move(sql), id);
  if (!rows) co_return std::unexpected(rows.error());
  if (rows->empty()) co_return std::optional<Tenant>{};
  co_return from_row(rows->row(0));
}

asio::awaitable<Result<std::vector<Setting>>> TenantService::settings(Uuid id) {
  auto rows = co_await backend_.pg.query(
      "SELECT key, value FROM tenant_settings WHERE tenant_id = $1 AND deleted_at IS NULL "
      "ORDER BY key",
      id);
  if (!rows) co_return std::unexpected(rows.error());
  std::vector<Setting> out;
  for (auto row : *rows) out.push_back({row.get<std::string>(0), row.get<std::string>(1)});
  co_return out;
}

asio::awaitable<Result<std::optional<std::string>>> TenantService::setting(Uuid id,
                                                                           std::string_view key) {
  auto rows = co_await backend_.pg.query(
      "SELECT value FROM tenant_settings WHERE tenant_id = $1 AND key = $2 AND deleted_at IS NULL",
      id, key);
  if (!rows) co_return std::unexpected(rows.error());
  if (rows->empty()) co_return std::optional<std::string>{};
  co_return rows->row(0).get<std::string>(0);
}

graphql::Resolver owner_tenant_resolver(Backend& backend) {
  return [&backend](const graphql::ResolveInfo& info) -> asio::awaitable<graphql::FieldResult> {
    const json::object* parent = info.parent.if_object();
    std::optional<Uuid> id;
    if (parent) id = uuid_member(*parent, "tenantId");
    if (!id) co_return json::value(nullptr);
    const AdminContext* context = info.context_as<AdminContext>();
    AdminRequestMemo* memo = context ? context->memo.get() : nullptr;
    if (memo) {
      if (auto it = memo->tenants.find(*id); it != memo->tenants.end()) co_return it->second;
    }
    auto tenant = co_await backend.tenants->get(*id, false);
    if (!tenant) co_return internal_error(tenant.error());
    json::value found = *tenant ? json::value(TenantService::to_json(**tenant)) : json::value(nullptr);
    if (memo) memo->tenants.emplace(*id, found);
    co_return found;
  };
}

}  // namespace rafiki::backend::tenant
