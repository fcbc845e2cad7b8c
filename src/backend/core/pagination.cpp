#include "backend/core/pagination.h"

#include <algorithm>

#include "backend/core/admin.h"
#include "base/uuid.h"

namespace rafiki::backend {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

std::string page_sql(const PageQuery& query, bool forward_in_sort, bool ascending,
                     bool with_cursor, int limit, const std::string& columns) {
  // Walking "forward" in an ascending sort means increasing (created_at, id).
  const bool increasing = forward_in_sort == ascending;
  std::string sql = "SELECT " + columns + " FROM " + query.table + " t WHERE ";
  sql += query.where.empty() ? "TRUE" : "(" + query.where + ")";
  if (with_cursor) {
    sql += " AND (t.created_at, t.id) ";
    sql += increasing ? ">" : "<";
    sql += " (SELECT c.created_at, c.id FROM " + query.table + " c WHERE c.id = $" +
           std::to_string(query.params.size() + 1) + "::uuid)";
  }
  sql += increasing ? " ORDER BY t.created_at ASC, t.id ASC" : " ORDER BY t.created_at DESC, t.id DESC";
  sql += " LIMIT " + std::to_string(limit);
  return sql;
}

store::PgStatement probe(const PageQuery& query, bool forward, bool ascending,
                         const std::string& cursor) {
  store::PgStatement statement;
  statement.sql = page_sql(query, forward, ascending, true, 1, "1");
  statement.params = query.params;
  statement.params.emplace_back(cursor);
  return statement;
}

}  // namespace

std::expected<PageArgs, graphql::FieldError> page_args(const graphql::ResolveInfo& info) {
  PageArgs args;
  auto first = info.int_argument("first");
  auto last = info.int_argument("last");
  auto after = info.string_argument("after");
  auto before = info.string_argument("before");
  if (last && !before) return field_error(code::kInternal, "Can't paginate backwards from the start.");
  if ((first && (*first < 0 || *first > kPageSizeMax)) ||
      (last && (*last < 0 || *last > kPageSizeMax))) {
    return field_error(code::kInternal, "Pagination index error");
  }
  auto order = info.string_argument("sortOrder");
  args.ascending = order && *order == "ASC";
  if (after) {
    args.after = std::string(*after);
    args.limit = first && *first > 0 ? static_cast<int>(*first) : kPageSizeDefault;
  } else if (before) {
    args.before = std::string(*before);
    args.limit = last && *last > 0 ? static_cast<int>(*last) : kPageSizeDefault;
  } else {
    args.limit = first && *first > 0 ? static_cast<int>(*first) : kPageSizeDefault;
  }
  return args;
}

asio::awaitable<Result<Page>> fetch_page(store::PgPool& pool, const PageQuery& query,
                                         const PageArgs& args) {
  Page page;
  const std::optional<std::string>& cursor = args.after ? args.after : args.before;
  // An id that is not a UUID names no row: the page is empty (as upstream's NULL comparison).
  if (cursor && !is_uuid(*cursor)) co_return page;
  const bool forward = !args.before || args.after;
  auto params = query.params;
  if (cursor) params.emplace_back(*cursor);
  auto rows = co_await pool.query_params(
      page_sql(query, forward, args.ascending, cursor.has_value(), args.limit, query.columns),
      std::move(params));
  if (!rows) co_return std::unexpected(rows.error());
  page.rows = std::move(*rows);
  const int n = page.rows.rows();
  page.order.resize(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) page.order[static_cast<std::size_t>(i)] = forward ? i : n - 1 - i;
  if (n == 0) co_return page;

  auto id_of = [&](int index) { return page.rows.row(index).get<std::string>("id"); };
  auto statements = std::vector<store::PgStatement>{
      probe(query, true, args.ascending, id_of(page.order.back())),
      probe(query, false, args.ascending, id_of(page.order.front()))};
  auto probes = co_await pool.pipeline(std::move(statements));
  // Probe failures count as "no more rows", as upstream treats them.
  if (probes) {
    page.has_next = !(*probes)[0].empty();
    page.has_previous = !(*probes)[1].empty();
  }
  co_return page;
}

json::object connection_json(const std::vector<json::object>& nodes, bool has_next,
                             bool has_previous) {
  json::object connection;
  json::array edges;
  edges.reserve(nodes.size());
  for (const json::object& n : nodes) {
    json::object edge;
    edge["cursor"] = n.at("id");
    edge["node"] = n;
    edges.push_back(std::move(edge));
  }
  json::object info;
  info["hasNextPage"] = has_next;
  info["hasPreviousPage"] = has_previous;
  if (edges.empty()) {
    info["startCursor"] = nullptr;
    info["endCursor"] = nullptr;
  } else {
    info["startCursor"] = edges.front().as_object()["cursor"];
    info["endCursor"] = edges.back().as_object()["cursor"];
  }
  connection["edges"] = std::move(edges);
  connection["pageInfo"] = std::move(info);
  return connection;
}

json::object connection_json(const Page& page,
                             const std::function<json::object(const store::PgRow&)>& node) {
  std::vector<json::object> nodes;
  nodes.reserve(page.order.size());
  for (int index : page.order) nodes.push_back(node(page.rows.row(index)));
  return connection_json(nodes, page.has_next, page.has_previous);
}

asio::awaitable<graphql::FieldResult> resolve_connection(
    store::PgPool& pool, const graphql::ResolveInfo& info, PageQuery query,
    std::function<json::object(const store::PgRow&)> node) {
  auto args = page_args(info);
  if (!args) co_return std::unexpected(args.error());
  auto page = co_await fetch_page(pool, query, *args);
  if (!page) co_return internal_error(page.error());
  co_return json::value(connection_json(*page, node));
}

}  // namespace rafiki::backend
