// The tenant domain's Admin API (reference/admin-api.md §9.7): whoami, tenant, tenants,
// Tenant.settings, createTenant, updateTenant, deleteTenant, createTenantSettings, and the
// `tenant` fields of later domains' types (resolvers.h). Reads the input, asks TenantService,
// writes the answer. Tenancy at the door, as core/admin.h's rules: only the operator creates,
// deletes and lists tenants; a tenant reads and updates only itself.
#include "backend/tenant/resolvers.h"

#include <boost/json/array.hpp>

#include "backend/core/admin.h"
#include "backend/core/backend.h"
#include "backend/core/domains.h"
#include "backend/core/pagination.h"
#include "backend/tenant/service.h"

namespace rafiki::backend::tenant {

namespace {

json::value nullable(const std::optional<std::string>& s) {
  if (!s) return nullptr;
  return json::value(*s);
}

json::object to_json(const Tenant& t) {
  json::object o;
  o["id"] = t.id.str();
  o["email"] = nullable(t.email);
  o["apiSecret"] = t.api_secret;
  o["idpConsentUrl"] = nullable(t.idp_consent_url);
  o["idpSecret"] = nullable(t.idp_secret);
  o["publicName"] = nullable(t.public_name);
  o["createdAt"] = iso_time(t.created_at);
  o["deletedAt"] = iso_time(t.deleted_at);
  return o;
}

json::array settings_json(const std::vector<Setting>& settings) {
  json::array out;
  for (const auto& s : settings) {
    json::object o;
    o["key"] = s.key;
    o["value"] = s.value;
    out.push_back(std::move(o));
  }
  return out;
}

std::vector<Setting> settings_of(const json::value* list) {
  std::vector<Setting> out;
  if (!list || !list->is_array()) return out;
  for (const auto& item : list->as_array()) {
    const auto& o = item.as_object();
    out.push_back({std::string(string_member(o, "key").value_or("")),
                   std::string(string_member(o, "value").value_or(""))});
  }
  return out;
}

std::optional<std::string> opt_string(const json::object& o, std::string_view name) {
  auto s = string_member(o, name);
  if (!s) return std::nullopt;
  return std::string(*s);
}

std::unexpected<graphql::FieldError> error_of(TenantError error) {
  return field_error_of(Failure(error));
}

// updateTenant and deleteTenant answer as upstream does: the caller's own mistakes as they are,
// anything else (no such tenant, the auth service refusing, the database failing) as `otherwise`.
std::unexpected<graphql::FieldError> error_or(const Failure<TenantError>& failure,
                                              TenantError otherwise) {
  if (failure.is_domain() && failure.domain() != TenantError::kNotFound &&
      failure.domain() != TenantError::kAuthService) {
    return field_error_of(failure);
  }
  return error_of(otherwise);
}

// The answer of the mutations returning {tenant}.
json::value tenant_payload(const ResolveInfo& info, const Tenant& tenant) {
  forget_memoised_tenants(info);
  json::object r;
  r["tenant"] = to_json(tenant);
  return r;
}

}  // namespace

graphql::Resolver owner_tenant_resolver(Backend& backend) {
  return [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
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
    json::value found = *tenant ? json::value(to_json(**tenant)) : json::value(nullptr);
    if (memo) memo->tenants.emplace(*id, found);
    co_return found;
  };
}

void register_resolvers(graphql::Schema& schema, Backend& backend) {
  TenantService& tenants = *backend.tenants;

  set_resolver(schema, "Query.whoami", [](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
    const AdminContext& context = admin_context(info);
    json::object o;
    o["id"] = context.tenant_id.str();
    o["isOperator"] = context.is_operator;
    co_return json::value(std::move(o));
  });

  set_resolver(schema, "Query.tenant", [&tenants](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
    const AdminContext& context = admin_context(info);
    auto id = Uuid::parse(info.string_argument("id").value_or(""));
    if (!id || !may_read(context, *id)) co_return error_of(TenantError::kUnknownTenant);
    auto tenant = co_await tenants.get(*id, context.is_operator);
    if (!tenant) co_return internal_error(tenant.error());
    if (!*tenant) co_return error_of(TenantError::kUnknownTenant);
    co_return json::value(to_json(**tenant));
  });

  set_resolver(schema, "Query.tenants", [&tenants](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
    if (!admin_context(info).is_operator) co_return error_of(TenantError::kListForbidden);
    auto args = page_args(info);
    if (!args) co_return std::unexpected(args.error());
    auto page = co_await tenants.page(*args);
    if (!page) co_return internal_error(page.error());
    co_return json::value(connection_json(*page, to_json));
  });

  set_resolver(schema, "Tenant.settings", [&tenants](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
    auto id = uuid_member(info.parent.as_object(), "id");
    if (!id) co_return json::value(json::array());
    auto settings = co_await tenants.settings(*id);
    if (!settings) co_return internal_error(settings.error());
    co_return json::value(settings_json(*settings));
  });

  set_resolver(schema, "Mutation.createTenant", [&tenants](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
    if (!admin_context(info).is_operator) co_return error_of(TenantError::kPermissionDenied);
    const json::object& input = input_argument(info);
    NewTenant t;
    if (auto id = string_member(input, "id")) {
      auto parsed = Uuid::parse(*id);
      if (!parsed) co_return error_of(TenantError::kInvalidId);
      t.id = *parsed;
    }
    t.api_secret = std::string(string_member(input, "apiSecret").value_or(""));
    t.email = opt_string(input, "email");
    t.idp_consent_url = opt_string(input, "idpConsentUrl");
    t.idp_secret = opt_string(input, "idpSecret");
    t.public_name = opt_string(input, "publicName");
    if (const json::value* s = input.if_contains("settings"); s && s->is_array()) {
      t.settings = settings_of(s);
    }
    auto created = co_await tenants.create(std::move(t));
    if (!created) co_return field_error_of(created.error());
    co_return tenant_payload(info, *created);
  });

  set_resolver(schema, "Mutation.updateTenant", [&tenants](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
    const AdminContext& context = admin_context(info);
    const json::object& input = input_argument(info);
    auto id = uuid_member(input, "id");
    if (!id || !may_read(context, *id)) co_return error_of(TenantError::kUnknownTenant);
    TenantPatch patch;
    patch.id = *id;
    patch.email = string_patch(input, "email");
    patch.api_secret = string_patch(input, "apiSecret");
    patch.idp_consent_url = string_patch(input, "idpConsentUrl");
    patch.idp_secret = string_patch(input, "idpSecret");
    patch.public_name = string_patch(input, "publicName");
    auto updated = co_await tenants.update(std::move(patch), context.is_operator);
    if (!updated) co_return error_or(updated.error(), TenantError::kUpdateFailed);
    co_return tenant_payload(info, *updated);
  });

  set_resolver(schema, "Mutation.deleteTenant", [&tenants](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
    if (!admin_context(info).is_operator) co_return error_of(TenantError::kPermissionDenied);
    auto id = Uuid::parse(info.string_argument("id").value_or(""));
    if (!id) co_return error_of(TenantError::kDeleteFailed);
    auto removed = co_await tenants.remove(*id);
    if (!removed) co_return error_or(removed.error(), TenantError::kDeleteFailed);
    forget_memoised_tenants(info);
    json::object r;
    r["success"] = true;
    co_return json::value(std::move(r));
  });

  set_resolver(schema, "Mutation.createTenantSettings",
      [&tenants](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
        const json::object& input = input_argument(info);
        auto written = co_await tenants.upsert_settings(admin_context(info).tenant_id,
                                                        settings_of(input.if_contains("settings")));
        if (!written) co_return field_error_of(written.error());
        json::object r;
        r["settings"] = settings_json(*written);
        co_return json::value(std::move(r));
      });
}

}  // namespace rafiki::backend::tenant
