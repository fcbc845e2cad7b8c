// Admin API resolvers of the webhook domain: Query.webhookEvents (a Relay connection with the
// type filter and tenant scoping of reference/admin-api.md §4 and §6) and WebhookEvent.tenant.
// Reads the input, asks WebhookService, writes the answer; nothing else.
#include <boost/json/array.hpp>

#include "backend/core/admin.h"
#include "backend/core/backend.h"
#include "backend/core/domains.h"
#include "backend/core/pagination.h"
#include "backend/tenant/resolvers.h"
#include "backend/webhook/service.h"

namespace rafiki::backend::webhook {

namespace {

// A FilterString list member: nullopt when absent or null.
std::optional<std::vector<std::string>> string_list(const json::object& object,
                                                    std::string_view name) {
  const json::value* value = object.if_contains(name);
  if (!value || !value->is_array()) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& item : value->as_array()) {
    if (item.is_string()) out.emplace_back(item.as_string());
  }
  return out;
}

EventFilter filter_argument(const ResolveInfo& info) {
  EventFilter filter;
  const json::object* object = info.object_argument("filter");
  if (!object) return filter;
  const json::value* type = object->if_contains("type");
  if (!type || !type->is_object()) return filter;
  filter.type_in = string_list(type->as_object(), "in");
  filter.type_not_in = string_list(type->as_object(), "notIn");
  return filter;
}

json::object event_json(const Event& event) {
  json::object o;
  o["id"] = event.id.str();
  o["type"] = event.type;
  o["data"] = event.data;
  o["tenantId"] = event.tenant_id.str();  // for WebhookEvent.tenant
  o["createdAt"] = iso_time(event.created_at);
  return o;
}

json::object connection_json(const EventPage& page) {
  std::vector<json::object> nodes;
  nodes.reserve(page.events.size());
  for (const Event& event : page.events) nodes.push_back(event_json(event));
  return rafiki::backend::connection_json(nodes, page.has_next_page, page.has_previous_page);
}

}  // namespace

void register_resolvers(graphql::Schema& schema, Backend& backend) {
  WebhookService& webhooks = *backend.webhooks;

  set_resolver(schema, "Query.webhookEvents",
               [&webhooks](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
                 auto args = page_args(info);
                 if (!args) co_return std::unexpected(args.error());
                 ListQuery query;
                 query.tenant_id = list_tenant_scope(info);
                 query.filter = filter_argument(info);
                 query.after = args->after;
                 query.before = args->before;
                 query.ascending = args->ascending;
                 if (args->before && !args->after) {
                   query.last = args->limit;
                 } else {
                   query.first = args->limit;
                 }
                 auto page = co_await webhooks.list(std::move(query));
                 if (!page) co_return field_error_of(page.error());
                 co_return json::value(connection_json(*page));
               });

  set_resolver(schema, "WebhookEvent.tenant", tenant::owner_tenant_resolver(backend));
}

}  // namespace rafiki::backend::webhook
