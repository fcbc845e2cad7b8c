// Entry points of the tenant domain (backend/core/domains.h) and its Admin API resolvers.
#include <boost/json/array.hpp>

#include "backend/core/admin.h"
#include "backend/core/backend.h"
#include "backend/core/domains.h"
#include "backend/core/pagination.h"
#include "backend/tenant/service.h"
#include "service/runtime.h"

namespace rafiki::backend::tenant {

namespace asio = boost::asio;
namespace json = boost::json;
using graphql::FieldResult;
using graphql::ResolveInfo;

void install(Backend& backend, const Mount& mount) {
  if (mount.runtime) {
    mount.runtime->on_startup("operator tenant", [&backend]() -> asio::awaitable<Result<void>> {
      co_return co_await backend.tenants->bootstrap_operator();
    });
  }
}

void register_mutation_resolvers(graphql::Schema& schema, Backend& backend);  // mutations.cpp

void register_resolvers(graphql::Schema& schema, Backend& backend) {
  register_mutation_resolvers(schema, backend);
  set_resolver(schema, "Query.whoami", [](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
    const AdminContext& context = admin_context(info);
    json::object o;
    o["id"] = context.tenant_id.str();
    o["isOperator"] = context.is_operator;
    co_return json::value(std::move(o));
  });

  set_resolver(schema, "Query.tenant", [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
    const AdminContext& context = admin_context(info);
    auto id = Uuid::parse(info.string_argument("id").value_or(""));
    if (!id || (!context.is_operator && *id != context.tenant_id)) {
      co_return field_error(code::kNotFound, "tenant does not exist");
    }
    auto tenant = co_await backend.tenants->get(*id, context.is_operator);
    if (!tenant) co_return internal_error(tenant.error());
    if (!*tenant) co_return field_error(code::kNotFound, "tenant does not exist");
    co_return json::value(TenantService::to_json(**tenant));
  });

  set_resolver(schema, "Query.tenants", [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
    if (!admin_context(info).is_operator) {
      co_return field_error(code::kForbidden, "cannot get tenants page");
    }
    PageQuery query;
    query.table = "tenants";
    co_return co_await resolve_connection(backend.pg, info, std::move(query),
                                          [](const store::PgRow& row) {
                                            return TenantService::to_json(TenantService::from_row(row));
                                          });
  });

  set_resolver(schema, "Tenant.settings", [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
    auto id = uuid_member(info.parent.as_object(), "id");
    if (!id) co_return json::value(json::array());
    auto settings = co_await backend.tenants->settings(*id);
    if (!settings) co_return internal_error(settings.error());
    json::array out;
    for (const auto& s : *settings) {
      json::object o;
      o["key"] = s.key;
      o["value"] = s.value;
      out.push_back(std::move(o));
    }
    co_return json::value(std::move(out));
  });
}

}  // namespace rafiki::backend::tenant
