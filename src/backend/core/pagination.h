// Relay-style connections over a table, as upstream pages (reference/admin-api.md §6): cursors
// are the rows' ids, rows are ordered by (created_at, id) in the sort order (DESC unless ASC),
// `after` pages forward, `before` backward, and pageInfo's hasNextPage / hasPreviousPage come
// from probing one row beyond each end — scoped exactly like the page (upstream scopes some
// probes wider; we do not).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "graphql/executor.h"
#include "graphql/schema.h"
#include "store/pg.h"

namespace rafiki::backend {

constexpr int kPageSizeDefault = 20;
constexpr int kPageSizeMax = 100;

struct PageArgs {
  std::optional<std::string> after;   // forward from this id
  std::optional<std::string> before;  // backward from this id (when no `after`)
  int limit = kPageSizeDefault;
  bool ascending = false;
};

// The field's first/after/last/before/sortOrder arguments, checked as upstream checks them:
// `last` without `before` → "Can't paginate backwards from the start."; first/last outside
// 0..kPageSizeMax → "Pagination index error" (both INTERNAL_SERVER_ERROR); 0 means the default.
std::expected<PageArgs, graphql::FieldError> page_args(const graphql::ResolveInfo& info);

// What to page over. The table is aliased `t`; `where` may use $1..$n from `params` and t.*.
struct PageQuery {
  std::string table;             // e.g. "assets"
  std::string columns = "t.*";   // the select list
  std::string where;             // conditions (without WHERE); empty: every row
  std::vector<store::PgParam> params;
};

struct Page {
  store::PgResult rows;
  std::vector<int> order;  // row indexes in page order
  bool has_next = false;
  bool has_previous = false;
};

boost::asio::awaitable<Result<Page>> fetch_page(store::PgPool& pool, const PageQuery& query,
                                                const PageArgs& args);

// {edges: [{cursor, node}], pageInfo: {startCursor, endCursor, hasNextPage, hasPreviousPage}};
// `node` makes each row's object (which must have "id").
boost::json::object connection_json(const Page& page,
                                    const std::function<boost::json::object(const store::PgRow&)>& node);

// A page of a domain's rows read into its own type (what a domain store returns).
template <class T>
struct Paged {
  std::vector<T> items;  // in page order
  bool has_next = false;
  bool has_previous = false;
};
template <class T, class FromRow>
Paged<T> typed_page(const Page& page, FromRow from_row) {
  Paged<T> out;
  out.items.reserve(page.order.size());
  for (int index : page.order) out.items.push_back(from_row(page.rows.row(index)));
  out.has_next = page.has_next;
  out.has_previous = page.has_previous;
  return out;
}
// The connection of a typed page; `node` makes each item's object (which must have "id").
boost::json::object connection_json(const std::vector<boost::json::object>& nodes,
                                    bool has_next, bool has_previous);
template <class T, class ToJson>
boost::json::object connection_json(const Paged<T>& page, ToJson node) {
  std::vector<boost::json::object> nodes;
  nodes.reserve(page.items.size());
  for (const T& item : page.items) nodes.push_back(node(item));
  return connection_json(nodes, page.has_next, page.has_previous);
}

// The whole resolver body for a plain connection field: arguments → page → JSON.
boost::asio::awaitable<graphql::FieldResult> resolve_connection(
    store::PgPool& pool, const graphql::ResolveInfo& info, PageQuery query,
    std::function<boost::json::object(const store::PgRow&)> node);

}  // namespace rafiki::backend
