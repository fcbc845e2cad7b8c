// Query.webhookEvents through the Admin GraphQL schema: the fields of WebhookEvent (tenant
// included), the type filter with its default notIn, tenant scoping for the operator and for a
// tenant, Relay pages both ways and upstream's pagination errors.
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "backend/admin_harness.h"
#include "backend/webhook/service.h"

namespace rafiki::backend::test {
namespace {

const char* kTenantA = "a1a1a1a1-0000-4000-8000-00000000000a";
const char* kTenantB = "b2b2b2b2-0000-4000-8000-00000000000b";

void add_tenant(AdminHarness& h, const char* id, bool deleted = false) {
  h.db().exec(std::string("INSERT INTO tenants (id, api_secret, deleted_at) VALUES ('") + id +
              "', 'secret', " + (deleted ? "now()" : "NULL") + ")");
}

AdminContext as_tenant(const char* id) {
  AdminContext c;
  c.tenant_id = *Uuid::parse(id);
  return c;
}

std::string emit(AdminHarness& h, std::string_view type, const std::string& tenant,
                 json::object data = {}) {
  webhook::NewEvent e;
  e.type = std::string(type);
  e.tenant_id = *Uuid::parse(tenant);
  if (data.empty()) data["id"] = Uuid::v4().str();
  e.data = std::move(data);
  auto id = h.wait(h.backend().webhooks->emit(std::move(e)));
  if (!id) throw std::runtime_error(id.error().message);
  return id->str();
}

const std::string kQuery =
    "query($first: Int, $after: String, $last: Int, $before: String, $order: SortOrder,"
    "      $filter: WebhookEventFilter, $tenantId: String) {"
    " webhookEvents(first: $first, after: $after, last: $last, before: $before,"
    "               sortOrder: $order, filter: $filter, tenantId: $tenantId) {"
    "  edges { cursor node { id type data createdAt tenant { id } } }"
    "  pageInfo { startCursor endCursor hasNextPage hasPreviousPage } } }";

std::vector<std::string> cursors(const json::value& connection) {
  std::vector<std::string> out;
  for (const auto& edge : connection.at("edges").as_array()) {
    out.emplace_back(edge.at("cursor").as_string());
  }
  return out;
}

json::object type_filter(std::string_view member, std::vector<std::string> types) {
  json::array list;
  for (auto& t : types) list.emplace_back(t);
  json::object type;
  type[member] = std::move(list);
  json::object filter;
  filter["type"] = std::move(type);
  return filter;
}

}  // namespace

TEST(WebhookAdmin, ListsEventsWithTheirFieldsAndOwningTenant) {
  AdminHarness h;
  add_tenant(h, kTenantA);
  add_tenant(h, kTenantB, true);
  json::object data;
  data["id"] = Uuid::v4().str();
  data["receivedAmount"] = json::object{{"value", "5"}, {"assetCode", "USD"}, {"assetScale", 2}};
  std::string a = emit(h, "incoming_payment.created", kTenantA, data);
  std::string b = emit(h, "outgoing_payment.created", kTenantB);
  std::string op = emit(h, "asset.liquidity_low", kOperatorTenantId);

  auto page = data_of(h.gql(kQuery), "webhookEvents");
  EXPECT_EQ(cursors(page), (std::vector<std::string>{op, b, a}));  // newest first
  const auto& edges = page.at("edges").as_array();
  const auto& node_a = edges[2].at("node").as_object();
  EXPECT_EQ(node_a.at("id").as_string(), a);
  EXPECT_EQ(node_a.at("type").as_string(), "incoming_payment.created");
  EXPECT_EQ(node_a.at("data").as_object(), data);
  EXPECT_TRUE(std::regex_match(std::string(node_a.at("createdAt").as_string()),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
  EXPECT_EQ(node_a.at("tenant").at("id").as_string(), kTenantA);
  // A deleted tenant reads as null.
  EXPECT_TRUE(edges[1].at("node").at("tenant").is_null());
  EXPECT_EQ(edges[0].at("node").at("tenant").at("id").as_string(), kOperatorTenantId);
  EXPECT_EQ(page.at("pageInfo").at("startCursor").as_string(), op);
  EXPECT_EQ(page.at("pageInfo").at("endCursor").as_string(), a);
}

TEST(WebhookAdmin, FiltersByTypeHidingCardEventsByDefault) {
  AdminHarness h;
  std::string created = emit(h, "outgoing_payment.created", kOperatorTenantId);
  std::string funded = emit(h, "outgoing_payment.funded", kOperatorTenantId);
  std::string cancelled = emit(h, "outgoing_payment.cancelled", kOperatorTenantId);
  std::string completed = emit(h, "outgoing_payment.completed", kOperatorTenantId);
  using V = std::vector<std::string>;

  EXPECT_EQ(cursors(data_of(h.gql(kQuery), "webhookEvents")), (V{completed, created}));
  auto empty_not_in = h.gql(kQuery, {{"filter", type_filter("notIn", {})}});
  EXPECT_EQ(cursors(data_of(empty_not_in, "webhookEvents")), (V{completed, created}));
  auto not_in = h.gql(kQuery, {{"filter", type_filter("notIn", {"outgoing_payment.created"})}});
  EXPECT_EQ(cursors(data_of(not_in, "webhookEvents")), (V{completed, cancelled, funded}));
  auto in = h.gql(
      kQuery,
      {{"filter", type_filter("in", {"outgoing_payment.created", "outgoing_payment.funded"})}});
  EXPECT_EQ(cursors(data_of(in, "webhookEvents")), (V{created}));
  auto none = h.gql(kQuery, {{"filter", type_filter("in", {"no.such.type"})}});
  EXPECT_EQ(cursors(data_of(none, "webhookEvents")), V{});
  auto null_filter = h.gql(kQuery, {{"filter", nullptr}});
  EXPECT_EQ(cursors(data_of(null_filter, "webhookEvents")), (V{completed, created}));
  // A filter that is not a list of strings is refused by the schema.
  auto bad = h.gql(kQuery, {{"filter", json::object{{"type", json::object{{"in", 5}}}}}});
  EXPECT_FALSE(error_code(bad).empty());
  auto unknown_member = h.gql(kQuery, {{"filter", json::object{{"kind", "x"}}}});
  EXPECT_FALSE(error_code(unknown_member).empty());
}

TEST(WebhookAdmin, TheOperatorSeesEveryTenantAndATenantOnlyItself) {
  AdminHarness h;
  add_tenant(h, kTenantA);
  add_tenant(h, kTenantB);
  std::string a = emit(h, "incoming_payment.created", kTenantA);
  std::string b = emit(h, "incoming_payment.created", kTenantB);
  using V = std::vector<std::string>;
  EXPECT_EQ(cursors(data_of(h.gql(kQuery), "webhookEvents")), (V{b, a}));
  EXPECT_EQ(cursors(data_of(h.gql(kQuery, {{"tenantId", kTenantA}}), "webhookEvents")), V{a});
  EXPECT_EQ(cursors(data_of(h.gql(kQuery, {{"tenantId", "not-a-uuid"}}), "webhookEvents")), V{});
  EXPECT_EQ(cursors(data_of(h.gql(kQuery, {}, as_tenant(kTenantB)), "webhookEvents")), V{b});
  // A tenant naming another tenant still sees only its own.
  auto other = h.gql(kQuery, {{"tenantId", kTenantA}}, as_tenant(kTenantB));
  EXPECT_EQ(cursors(data_of(other, "webhookEvents")), V{b});
}

TEST(WebhookAdmin, PagesForwardAndBackward) {
  AdminHarness h;
  std::vector<std::string> ids;  // oldest first
  for (int i = 0; i < 5; ++i) ids.push_back(emit(h, "incoming_payment.created", kOperatorTenantId));
  using V = std::vector<std::string>;

  auto p1 = data_of(h.gql(kQuery, {{"first", 2}}), "webhookEvents");
  EXPECT_EQ(cursors(p1), (V{ids[4], ids[3]}));
  EXPECT_TRUE(p1.at("pageInfo").at("hasNextPage").as_bool());
  EXPECT_FALSE(p1.at("pageInfo").at("hasPreviousPage").as_bool());
  auto p2 = data_of(h.gql(kQuery, {{"first", 2}, {"after", ids[3]}}), "webhookEvents");
  EXPECT_EQ(cursors(p2), (V{ids[2], ids[1]}));
  EXPECT_TRUE(p2.at("pageInfo").at("hasNextPage").as_bool());
  EXPECT_TRUE(p2.at("pageInfo").at("hasPreviousPage").as_bool());
  auto back = data_of(h.gql(kQuery, {{"last", 2}, {"before", ids[1]}}), "webhookEvents");
  EXPECT_EQ(cursors(back), (V{ids[3], ids[2]}));
  EXPECT_TRUE(back.at("pageInfo").at("hasNextPage").as_bool());
  EXPECT_TRUE(back.at("pageInfo").at("hasPreviousPage").as_bool());
  auto asc =
      data_of(h.gql(kQuery, {{"first", 3}, {"after", ids[0]}, {"order", "ASC"}}), "webhookEvents");
  EXPECT_EQ(cursors(asc), (V{ids[1], ids[2], ids[3]}));
  auto asc_back =
      data_of(h.gql(kQuery, {{"last", 10}, {"before", ids[2]}, {"order", "ASC"}}), "webhookEvents");
  EXPECT_EQ(cursors(asc_back), (V{ids[0], ids[1]}));
  EXPECT_FALSE(asc_back.at("pageInfo").at("hasPreviousPage").as_bool());

  auto unknown = data_of(h.gql(kQuery, {{"after", Uuid::v4().str()}}), "webhookEvents");
  EXPECT_TRUE(unknown.at("edges").as_array().empty());
  EXPECT_TRUE(unknown.at("pageInfo").at("endCursor").is_null());

  auto from_start = h.gql(kQuery, {{"last", 2}});
  EXPECT_EQ(error_code(from_start), "INTERNAL_SERVER_ERROR");
  EXPECT_EQ(error_message(from_start), "Can't paginate backwards from the start.");
  auto too_many = h.gql(kQuery, {{"first", 101}});
  EXPECT_EQ(error_code(too_many), "INTERNAL_SERVER_ERROR");
  EXPECT_EQ(error_message(too_many), "Pagination index error");
  EXPECT_EQ(error_message(h.gql(kQuery, {{"last", -1}, {"before", ids[2]}})),
            "Pagination index error");
}

}  // namespace rafiki::backend::test
